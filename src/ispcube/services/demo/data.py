"""Sample data for the demo: Argentine names, streets and localities in and around Buenos Aires."""

from datetime import date
import math
import random
from typing import Any

from stdnum.ar import cuit

FIRST_NAMES = ["Juan", "María", "Lucía", "Martín", "Sofía", "Diego", "Valentina", "Javier",
               "Carmen", "Pablo", "Florencia", "Nicolás", "Agustina", "Sergio", "Paula",
               "Alejandro", "Camila", "Tomás", "Elena", "Gonzalo", "Rocío", "Facundo", "Inés"]
SURNAMES = ["González", "Rodríguez", "Fernández", "López", "Martínez", "Pérez", "García",
            "Sánchez", "Romero", "Díaz", "Álvarez", "Torres", "Ruiz", "Ramírez", "Gómez",
            "Muñoz", "Herrera", "Castro", "Ortega", "Núñez", "Peña", "Ibáñez", "Gutiérrez"]
COMPANY_NAMES = ["Transporte de las Américas Unidas S.L.", "Panadería La Espiga SRL",
                 "Ferretería Don Tito", "Estudio Contable Ibáñez & Asoc.", "Hotel Patagonia SA",
                 "Cooperativa Eléctrica del Sur", "Farmacia Nueva Era", "Viñedos del Valle SA"]
# Two billing companies of one ISP, each serving its own part of Buenos Aires: the i-th
# locality is served by the i-th node, and every client stands inside its node's coverage, so
# the map is one coherent area and each company's clients form one region of it.
COMPANIES: list[dict[str, Any]] = [
    {"number": "1", "name": "Red Sur Telecomunicaciones SRL", "tax_id": "30-71234567-1",
     "address": "Av. Santa Fe 3200, CABA", "collectors": ("ana", "beto")},
    {"number": "2", "name": "Cooperativa Zona Norte Ltda.", "tax_id": "30-70987654-2",
     "address": "Av. Centenario 1100, San Isidro", "collectors": ("dario",)},
]
OFFICE = (-34.5880, -58.4110)          # the office on Av. Santa Fe, Palermo
# (postal code, locality, streets, company number, share of the clients)
LOCALITIES = [
    ("1414", "Palermo", ["Amenábar", "Gorriti", "Thames", "Honduras", "Soler"], "1", 30),
    ("1428", "Belgrano", ["Av. Cabildo", "Juramento", "Echeverría", "Mendoza"], "1", 18),
    ("1429", "Núñez", ["Av. del Libertador", "Crisólogo Larralde", "Manuela Pedraza"], "1", 12),
    ("B1638", "Vicente López", ["Av. Maipú", "Laprida", "Carlos Villate"], "2", 14),
    ("B1642", "San Isidro", ["Av. Centenario", "Belgrano", "Alsina", "Chacabuco"], "2", 16),
    ("B1648", "Tigre", ["Av. Cazón", "Sarmiento", "Lavalle", "Paseo Victorica"], "2", 10),
]
# (name, lat, lng, coverage radius in metres)
NODES = [("Nodo Palermo", -34.5850, -58.4250, 2500), ("Nodo Belgrano", -34.5620, -58.4580, 2000),
         ("Nodo Núñez", -34.5440, -58.4640, 1800), ("Nodo Vicente López", -34.5260, -58.4780, 2500),
         ("Nodo San Isidro", -34.4720, -58.5150, 3000), ("Nodo Tigre", -34.4260, -58.5800, 3000)]
METRES_PER_DEGREE = 111_320
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


def near(rng: random.Random, lat: float, lng: float, radius_m: float) -> tuple[float, float]:
    """A point spread evenly over the disc of RADIUS_M metres around LAT, LNG."""
    distance = radius_m * math.sqrt(rng.random())
    bearing = rng.uniform(0, 2 * math.pi)
    return (lat + distance * math.cos(bearing) / METRES_PER_DEGREE,
            lng + distance * math.sin(bearing) / (METRES_PER_DEGREE * math.cos(math.radians(lat))))


def client_row(rng: random.Random, index: int, today: date) -> dict[str, str]:
    """The INDEX-th sample client; it signed up two to nine years before TODAY."""
    place = rng.choices(range(len(LOCALITIES)), weights=[loc[4] for loc in LOCALITIES])[0]
    code, locality, streets, company_number, _ = LOCALITIES[place]
    company_row = next(c for c in COMPANIES if c["number"] == company_number)
    node, node_lat, node_lng, radius = NODES[place]
    lat, lng = near(rng, node_lat, node_lng, radius * 0.9)
    company = rng.random() < 0.08
    name = rng.choice(COMPANY_NAMES) + f" ({index})" if company else person(rng)
    id_type, id_number = argentine_id(rng, company)
    phone = f"+54 11 {rng.randint(4000, 6999)}-{rng.randint(1000, 9999)}"
    handle = name.split()[0].lower().encode("ascii", "ignore").decode() or "cliente"
    return {
        "name": name, "fiscal_address": f"{rng.choice(streets)} {rng.randint(1, 4999)}",
        "client_type": "Empresa" if company else "Consumidor Final",
        "id_type": id_type, "id_number": id_number, "postal_code": code,
        "lat": f"{lat:.6f}", "lng": f"{lng:.6f}",
        "phone": phone, "email": f"{handle}{index}@example.com",
        "payment_method": rng.choice(["cash", "cash", "transfer", "card", "debit"]),
        "status": rng.choices([s[0] for s in STATUSES], weights=[90, 5, 5])[0],
        "plan": rng.choice(PLANS)[0], "node": node, "company": company_number,
        "collector": rng.choice(company_row["collectors"]),
        "free": "yes" if rng.random() < 0.02 else "no",
        "signup_date": f"{today.year - 2 - rng.randint(0, 7)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
    }
