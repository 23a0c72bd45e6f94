"""Argentine VAT on an invoice (I1): who pays what, under which letter, with which AFIP codes.

Pure rules, in `Decimal`, used alike by billing, the printed invoice and the AFIP driver:

- the company's VAT condition (responsable inscripto, monotributo, exento) and the client's,
  from the RG 5616 list with the `CondicionIVAReceptorId` code AFIP's WSFEv1 requires;
- the invoice letter: a responsable inscripto issues A to the receptors AFIP lists for class A
  (inscripto, monotributo and its social and promoted forms, RG 5003) and B to everyone else; a
  monotributista or an exempt company issues C;
- the VAT rates a plan may carry (21 by default, 10.5 and 27) and AFIP's `AlicIva` ids for them;
- a final price split once into net + VAT, so that net + VAT equals the price to the cent and
  VAT differs from net x rate by less than AFIP's tolerance (0.01);
- AFIP's document type codes (Factura, Nota de Débito, Nota de Crédito; A, B, C);
- the RG 4892 QR: the JSON fields, base64, under AFIP's URL.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import IntEnum, StrEnum
import json

from ispcube.domain.text import quoted
from ispcube.errors import Invalid

CENT = Decimal("0.01")
AFIP_TOLERANCE = Decimal("0.01")     # WSFEv1: absolute error <= 0.01 (or relative <= 0.01 %)
QR_URL = "https://www.afip.gob.ar/fe/qr/?p="
QR_VERSION = 1


class CompanyVat(StrEnum):
    """The issuer's condition: it decides which letters the company may issue."""

    RESPONSABLE_INSCRIPTO = "responsable-inscripto"
    MONOTRIBUTO = "monotributo"
    EXENTO = "exento"


class ReceptorVat(IntEnum):
    """The client's condition (RG 5616), valued as AFIP's `CondicionIVAReceptorId`."""

    RESPONSABLE_INSCRIPTO = 1
    EXENTO = 4
    CONSUMIDOR_FINAL = 5
    MONOTRIBUTO = 6
    NO_CATEGORIZADO = 7
    PROVEEDOR_EXTERIOR = 8
    CLIENTE_EXTERIOR = 9
    IVA_LIBERADO = 10
    MONOTRIBUTO_SOCIAL = 13
    IVA_NO_ALCANZADO = 15
    MONOTRIBUTO_PROMOVIDO = 16

    @property
    def word(self) -> str:
        """The name users type (`client add --vat-condition consumidor-final`)."""
        return self.name.lower().replace("_", "-")

    @property
    def label(self) -> str:
        """The name printed on the invoice, as AFIP's table spells it."""
        return RECEPTOR_LABELS[self]


RECEPTOR_LABELS = {
    ReceptorVat.RESPONSABLE_INSCRIPTO: "IVA Responsable Inscripto",
    ReceptorVat.EXENTO: "IVA Sujeto Exento",
    ReceptorVat.CONSUMIDOR_FINAL: "Consumidor Final",
    ReceptorVat.MONOTRIBUTO: "Responsable Monotributo",
    ReceptorVat.NO_CATEGORIZADO: "Sujeto No Categorizado",
    ReceptorVat.PROVEEDOR_EXTERIOR: "Proveedor del Exterior",
    ReceptorVat.CLIENTE_EXTERIOR: "Cliente del Exterior",
    ReceptorVat.IVA_LIBERADO: "IVA Liberado - Ley N° 19.640",
    ReceptorVat.MONOTRIBUTO_SOCIAL: "Monotributista Social",
    ReceptorVat.IVA_NO_ALCANZADO: "IVA No Alcanzado",
    ReceptorVat.MONOTRIBUTO_PROMOVIDO: "Monotributo Trabajador Independiente Promovido",
}
DEFAULT_RECEPTOR = ReceptorVat.CONSUMIDOR_FINAL
# AFIP's FEParamGetCondicionIvaReceptor: the receptors a class A document may name; every
# other condition takes B (from an inscripto) or C.
CLASS_A_RECEPTORS = frozenset({ReceptorVat.RESPONSABLE_INSCRIPTO, ReceptorVat.MONOTRIBUTO,
                               ReceptorVat.MONOTRIBUTO_SOCIAL, ReceptorVat.MONOTRIBUTO_PROMOVIDO})


class Letter(StrEnum):
    A = "A"
    B = "B"
    C = "C"


class DocumentKind(StrEnum):
    INVOICE = "invoice"
    DEBIT_NOTE = "debit-note"
    CREDIT_NOTE = "credit-note"


# AFIP's CbteTipo codes (FEParamGetTiposCbte).
DOCUMENT_TYPES = {
    (DocumentKind.INVOICE, Letter.A): 1, (DocumentKind.DEBIT_NOTE, Letter.A): 2,
    (DocumentKind.CREDIT_NOTE, Letter.A): 3,
    (DocumentKind.INVOICE, Letter.B): 6, (DocumentKind.DEBIT_NOTE, Letter.B): 7,
    (DocumentKind.CREDIT_NOTE, Letter.B): 8,
    (DocumentKind.INVOICE, Letter.C): 11, (DocumentKind.DEBIT_NOTE, Letter.C): 12,
    (DocumentKind.CREDIT_NOTE, Letter.C): 13,
}
DOCUMENT_OF_TYPE = {code: pair for pair, code in DOCUMENT_TYPES.items()}

# The VAT rates a plan may carry (percent) and AFIP's AlicIva ids for them (FEParamGetTiposIva).
VAT_RATE_IDS = {Decimal("21"): 5, Decimal("10.5"): 4, Decimal("27"): 6}
DEFAULT_VAT_RATE = Decimal("21")

# AFIP's DocTipo codes for the receptor's ID (FEParamGetTiposDoc); 99: not identified, number 0.
RECEPTOR_DOCUMENTS = {"CUIT": 80, "CUIL": 86, "DNI": 96}
UNIDENTIFIED_RECEPTOR = 99


def receptor_document(id_type: str | None, id_number: str | None) -> tuple[int, int]:
    """AFIP's (DocTipo, DocNro) for a client's ID: CUIT 80, CUIL 86, DNI 96; anything else is
    an unidentified receptor (99, number 0), which only a letter B or C document may name."""
    kind = (id_type or "").strip().upper()
    digits = "".join(ch for ch in id_number or "" if ch.isdigit())
    if kind in RECEPTOR_DOCUMENTS and digits and int(digits) > 0:
        return RECEPTOR_DOCUMENTS[kind], int(digits)
    return UNIDENTIFIED_RECEPTOR, 0


def company_vat(word: str) -> CompanyVat:
    """The company condition named WORD (`responsable-inscripto`, `monotributo`, `exento`)."""
    try:
        return CompanyVat(word.strip().lower())
    except ValueError:
        raise Invalid(f"VAT condition {quoted(word)} is not one of: "
                      f"{', '.join(c.value for c in CompanyVat)}") from None


def receptor_vat(word: str) -> ReceptorVat:
    """The client condition named WORD (`consumidor-final`, ...) or given by its AFIP code."""
    text = word.strip().lower()
    for condition in ReceptorVat:
        if text in (condition.word, str(condition.value)):
            return condition
    raise Invalid(f"VAT condition {quoted(word)} is not one of: {', '.join(c.word for c in ReceptorVat)}")


def invoice_letter(issuer: CompanyVat, receptor: ReceptorVat) -> Letter:
    """The letter of every document from ISSUER to RECEPTOR."""
    if issuer is not CompanyVat.RESPONSABLE_INSCRIPTO:
        return Letter.C
    return Letter.A if receptor in CLASS_A_RECEPTORS else Letter.B


def document_type(kind: DocumentKind, letter: Letter) -> int:
    """AFIP's CbteTipo of a document of KIND and LETTER (Factura A = 1, NC B = 8, ...)."""
    return DOCUMENT_TYPES[(kind, letter)]


def vat_rate(value: Decimal | str) -> Decimal:
    """VALUE as one of the allowed VAT rates, or Invalid naming them."""
    try:
        rate = Decimal(str(value).strip().replace(",", "."))
    except ArithmeticError:
        rate = Decimal(-1)
    for allowed in VAT_RATE_IDS:
        if rate == allowed:
            return allowed
    raise Invalid(f"VAT rate {quoted(str(value))} is not one of: {', '.join(str(r) for r in VAT_RATE_IDS)}")


def vat_rate_id(rate: Decimal) -> int:
    """AFIP's AlicIva id of RATE (21 % = 5, 10.5 % = 4, 27 % = 6)."""
    return VAT_RATE_IDS[vat_rate(rate)]


@dataclass(frozen=True)
class TaxSplit:
    """A final price as AFIP wants it: net + vat == total, to the cent."""

    total: Decimal
    net: Decimal
    vat: Decimal
    rate: Decimal | None       # None: VAT not discriminated (letter C)


def split_final_price(total: Decimal, rate: Decimal) -> TaxSplit:
    """Split the VAT-inclusive TOTAL at RATE percent: net rounded to the cent, VAT the rest.

    The rest differs from net x rate by at most half a cent times (1 + rate), under AFIP's
    0.01 for every allowed rate, and the three amounts always add up exactly.
    """
    allowed = vat_rate(rate)
    exact_total = _cents(total)
    if exact_total < 0:
        raise Invalid(f"a final price cannot be negative ({exact_total})")
    net = (exact_total * 100 / (100 + allowed)).quantize(CENT, rounding=ROUND_HALF_UP)
    return TaxSplit(total=exact_total, net=net, vat=exact_total - net, rate=allowed)


def split_for_letter(total: Decimal, rate: Decimal, letter: Letter) -> TaxSplit:
    """TOTAL split as a document of LETTER carries it: C has no VAT of its own (net = total)."""
    if letter is Letter.C:
        exact_total = _cents(total)
        return TaxSplit(total=exact_total, net=exact_total, vat=Decimal("0.00"), rate=None)
    return split_final_price(total, rate)


def vat_within_tolerance(net: Decimal, vat: Decimal, rate: Decimal) -> bool:
    """Whether VAT is what AFIP expects of NET at RATE (absolute error at most 0.01)."""
    return abs(vat - net * rate / 100) <= AFIP_TOLERANCE


def _cents(amount: Decimal) -> Decimal:
    value = Decimal(amount)
    if value != value.quantize(CENT):
        raise Invalid(f"amount {value} has more than 2 decimals")
    return value.quantize(CENT)


@dataclass(frozen=True)
class QrInvoice:
    """What the RG 4892 QR says of one authorized document."""

    issued: date
    issuer_cuit: int
    point_of_sale: int
    document_type: int
    number: int
    total: Decimal
    cae: str
    currency: str = "PES"
    exchange_rate: Decimal = Decimal(1)
    receptor_doc_type: int | None = None
    receptor_doc_number: int | None = None


def qr_payload(invoice: QrInvoice) -> dict[str, object]:
    """The QR's JSON fields, in AFIP's names and order (receptor fields only when known)."""
    payload: dict[str, object] = {
        "ver": QR_VERSION, "fecha": invoice.issued.isoformat(), "cuit": invoice.issuer_cuit,
        "ptoVta": invoice.point_of_sale, "tipoCmp": invoice.document_type, "nroCmp": invoice.number,
        "importe": _json_number(_cents(invoice.total)), "moneda": invoice.currency,
        "ctz": _json_number(invoice.exchange_rate),
    }
    if invoice.receptor_doc_type is not None and invoice.receptor_doc_number is not None:
        payload["tipoDocRec"] = invoice.receptor_doc_type
        payload["nroDocRec"] = invoice.receptor_doc_number
    if not (invoice.cae.isdigit() and len(invoice.cae) == 14):
        raise Invalid(f"CAE {quoted(invoice.cae)} is not 14 digits")
    payload["tipoCodAut"] = "E"       # E: CAE (A would be a CAEA)
    payload["codAut"] = int(invoice.cae)
    return payload


def qr_url(invoice: QrInvoice) -> str:
    """The URL the QR encodes: AFIP's address with the JSON, base64, as `p`."""
    text = json.dumps(qr_payload(invoice), separators=(",", ":"), ensure_ascii=True)
    return QR_URL + base64.b64encode(text.encode("ascii")).decode("ascii")


def _json_number(value: Decimal) -> int | float:
    """VALUE as a JSON number: whole amounts as integers, cents exactly (at most 15 digits)."""
    if value == value.to_integral_value():
        return int(value)
    return float(value)
