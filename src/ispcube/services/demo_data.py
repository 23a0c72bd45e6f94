"""Sample data for the demo: Argentine and Spanish names, streets and localities."""

import random

from stdnum.ar import cuit
from stdnum.es import dni as es_dni

FIRST_NAMES = ["Juan", "María", "Lucía", "Martín", "Sofía", "Diego", "Valentina", "Javier",
               "Carmen", "Pablo", "Florencia", "Nicolás", "Agustina", "Sergio", "Paula",
               "Alejandro", "Camila", "Tomás", "Elena", "Gonzalo", "Rocío", "Facundo", "Inés"]
SURNAMES = ["González", "Rodríguez", "Fernández", "López", "Martínez", "Pérez", "García",
            "Sánchez", "Romero", "Díaz", "Álvarez", "Torres", "Ruiz", "Ramírez", "Gómez",
            "Muñoz", "Herrera", "Castro", "Ortega", "Núñez", "Peña", "Ibáñez", "Gutiérrez"]
COMPANY_NAMES = ["Transporte de las Américas Unidas S.L.", "Panadería La Espiga SRL",
                 "Ferretería Don Tito", "Estudio Contable Ibáñez & Asoc.", "Hotel Patagonia SA",
                 "Cooperativa Eléctrica del Sur", "Farmacia Nueva Era", "Viñedos del Valle SA"]
# (postal code, locality, streets, country, centre lat/lng); the i-th locality is served by
# the i-th node.
LOCALITIES = [
    ("1414", "Palermo", ["Amenábar", "Gorriti", "Thames", "Honduras", "Soler"], "AR", -34.588, -58.430),
    ("B1642", "San Isidro", ["Av. Centenario", "Belgrano", "Alsina", "Chacabuco"], "AR", -34.471, -58.528),
    ("X5000", "Córdoba", ["Bv. San Juan", "Colón", "Obispo Trejo", "Rondeau"], "AR", -31.417, -64.183),
    ("M5500", "Mendoza", ["San Martín", "Sarmiento", "Las Heras", "Godoy Cruz"], "AR", -32.889, -68.845),
    ("28004", "Madrid - Justicia", ["Calle de Hortaleza", "Calle de Fuencarral", "Calle del Pez"], "ES", 40.425, -3.700),
    ("46001", "València - Ciutat Vella", ["Carrer de Cavallers", "Carrer de la Pau"], "ES", 39.475, -0.376),
]
NODES = [("Nodo Principal", -34.590, -58.425, 3000), ("Nodo Norte", -34.470, -58.520, 4000),
         ("Torre Córdoba", -31.420, -64.180, 6000), ("Nodo Cuyo", -32.890, -68.840, 5000),
         ("Nodo Madrid Centro", 40.424, -3.702, 2500), ("Nodo València", 39.474, -0.377, 2500)]
PLANS = [("Hogar 10 Mb", "9500.00", 10_000, 2_000), ("Hogar 30 Mb", "14500.00", 30_000, 5_000),
         ("Pyme 50 Mb", "29900.00", 50_000, 20_000), ("Fibra 300 Mb", "21900.00", 300_000, 100_000)]
STATUSES = [("Activo", "al día"), ("En retiro", "pidió la baja"), ("Problemático", "reclamos frecuentes")]


def person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)} {rng.choice(SURNAMES)}"


def argentine_id(rng: random.Random, company: bool) -> tuple[str, str]:
    number = str(rng.randint(10_000_000, 45_999_999))
    if not company:
        return "DNI", number
    body = rng.choice(["30", "33"]) + number
    return "CUIT", body + cuit.calc_check_digit(body)


def spanish_nif(rng: random.Random) -> tuple[str, str]:
    number = str(rng.randint(10_000_000, 79_999_999))
    return "NIF", number + es_dni.calc_check_digit(number)


def client_row(rng: random.Random, index: int) -> dict[str, str]:
    place = rng.randrange(len(LOCALITIES))
    code, locality, streets, country, lat, lng = LOCALITIES[place]
    company = rng.random() < 0.08
    name = rng.choice(COMPANY_NAMES) + f" ({index})" if company else person(rng)
    id_type, id_number = argentine_id(rng, company) if country == "AR" else spanish_nif(rng)
    phone = (f"+54 11 {rng.randint(4000, 6999)}-{rng.randint(1000, 9999)}" if country == "AR"
             else f"+34 6{rng.randint(10, 99)} {rng.randint(100, 999)} {rng.randint(100, 999)}")
    handle = name.split()[0].lower().encode("ascii", "ignore").decode() or "cliente"
    return {
        "name": name, "fiscal_address": f"{rng.choice(streets)} {rng.randint(1, 4999)}",
        "client_type": "Empresa" if company else "Consumidor Final",
        "id_type": id_type, "id_number": id_number, "postal_code": code,
        "lat": f"{lat + rng.uniform(-0.02, 0.02):.6f}", "lng": f"{lng + rng.uniform(-0.02, 0.02):.6f}",
        "phone": phone, "email": f"{handle}{index}@example.com",
        "payment_method": rng.choice(["cash", "cash", "transfer", "card", "debit"]),
        "status": rng.choices([s[0] for s in STATUSES], weights=[90, 5, 5])[0],
        "plan": rng.choice(PLANS)[0], "node": NODES[place][0],
        "free": "yes" if rng.random() < 0.02 else "no",
        "signup_date": f"20{rng.randint(19, 26)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
    }
