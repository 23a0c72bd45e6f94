"""Sample data for the demo's SEPA part: a small Spanish ISP in Madrid that bills in euros and
collects by SEPA direct debit. Every identifier is valid: the IBANs' national and IBAN check
digits (schwifty), the DNIs' letters and the CIF (python-stdnum), the creditor identifier's
check digits (ISO 7064, python-stdnum's eu.at_02).
"""

from datetime import date

CREDITOR = {
    "sepa.creditor_name": "Fibra Meseta S.L.",
    "sepa.creditor_id": "ES82ZZZB87654323",          # ES + check digits + ZZZ + the company's CIF
    "sepa.creditor_iban": "ES7921000813610123456789",
    "sepa.creditor_bic": "CAIXESBBXXX",
}
COMPANY = {"number": "1", "name": "Fibra Meseta S.L.", "tax_id": "B87654323",
           "address": "Calle de Alcalá 120, 28009 Madrid"}
POSTAL_CODES = [("28004", "Malasaña"), ("28009", "Retiro"), ("28012", "Lavapiés"), ("28045", "Arganzuela")]
PLANS = [("Fibra 300 Mb", "29.90", 300_000, 300_000), ("Fibra 600 Mb", "39.90", 600_000, 600_000),
         ("Fibra 1 Gb", "49.90", 1_000_000, 1_000_000)]
RETURN_REASON = ("AC04", "account closed")     # what the bank answers for the one debit returned


def clients(today: date) -> list[dict[str, str]]:
    """Six clients paying by `sepa`, each with its IBAN and a mandate signed in the year before
    TODAY's (FRST on the first collection). The third one's account is closed: the bank returns
    its debit."""
    rows = [
        ("Lucía Gómez Herrera", "12345678Z", "Calle del Pez 14", "28004", "ES9121000418450200051332", 0),
        ("Javier Martín Ruiz", "50123456Q", "Calle de Ibiza 31", "28009", "ES1700491500010612345678", 1),
        ("Carmen Núñez Ortega", "71234567W", "Calle del Ave María 8", "28012", "ES8001822370440201234567", 0),
        ("Pablo Sánchez Peña", "03456789G", "Paseo de las Delicias 77", "28045", "ES1800810200210123456789", 2),
        ("Elena Castro Díaz", "44556677L", "Calle de Narváez 5", "28009", "ES8120800001190123450987", 1),
        ("Tomás Ibáñez López", "29876543A", "Calle de la Palma 40", "28004", "ES6021002222080200123456", 0),
    ]
    return [{"name": name, "id_type": "DNI", "id_number": dni, "fiscal_address": street, "postal_code": postal,
             "client_type": "Particular", "payment_method": "sepa", "iban": iban,
             "mandate_ref": f"FM-MANDATO-{n:04d}", "mandate_date": date(today.year - 1, n + 1, 15).isoformat(),
             "plan": PLANS[plan][0], "company": "1", "signup_date": date(today.year - 1, n + 1, 15).isoformat(),
             "email": f"cliente{n}@example.com", "phone": f"+34 6{n}0 123 45{n}"}
            for n, (name, dni, street, postal, iban, plan) in enumerate(rows, start=1)]
