"""The simulated WSFEv1's book: numbering per point of sale and document type, and AFIP's checks.

Written from AFIP's WSFEv1 developer manual. A request's documents are checked one after the
other; a document that passes every excluding check gets the next number of its series and a
CAE, one that fails keeps the series where it was and carries the codes and texts AFIP would
give it (`Observaciones`). The same document sent again after it was authorized (a reply lost
on the way back) is answered with the CAE it already has, marked `Reproceso` S, as AFIP does.
Only what an internet provider sends is checked: services or products in pesos, VAT by rate,
no other taxes (`Tributos`) and no optional data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

CLASS_OF = {1: "A", 2: "A", 3: "A", 6: "B", 7: "B", 8: "B", 11: "C", 12: "C", 13: "C"}
NOTES = {2, 3, 7, 8, 12, 13}
ASSOCIABLE = {"A": {1, 2, 3}, "B": {6, 7, 8}, "C": {11, 12, 13}}
VAT_RATES = {3: Decimal(0), 4: Decimal("10.5"), 5: Decimal(21), 6: Decimal(27), 8: Decimal(5), 9: Decimal("2.5")}
RECEPTOR_CONDITIONS = {1, 4, 5, 6, 7, 8, 9, 10, 13, 15, 16}
CLASS_A_RECEPTORS = {1, 6, 13, 16}
CAE_DAYS = 10
FIRST_CAE = 76_000_000_000_001
MAX_NUMBER = 99_999_999

MSG = {
    10008: "Campo CbteDesde debe estar comprendido entre 1 y 99999999.",
    10011: "Campo CbteHasta debe ser mayor o igual a CbteDesde.",
    10012: "Para comprobantes clase A y C el campo CbteDesde debe ser igual al campo CbteHasta.",
    10013: "Para comprobantes clase A el campo DocTipo debe ser 80 (CUIT).",
    10016: "El numero o fecha del comprobante no se corresponde con el proximo a autorizar. "
           "Consultar metodo FECompUltimoAutorizado.",
    10018: "Si ImpIVA es mayor a 0 el objeto IVA y AlicIva son obligatorios.",
    10019: "El campo Id en AlicIva debe ser un valor devuelto por el metodo FEParamGetTiposIva.",
    10023: "La suma de los campos importe en IVA debe ser igual al valor ingresado en ImpIVA.",
    10030: "El campo Concepto es obligatorio y debe ser 1 (Productos), 2 (Servicios) o 3 (Productos y Servicios).",
    10032: "El campo FchServDesde no puede ser posterior al campo FchServHasta.",
    10036: "El campo FchVtoPago no puede ser anterior a la fecha del comprobante.",
    10037: "El campo MonId es obligatorio y debe ser una moneda devuelta por FEParamGetTiposMonedas.",
    10039: "El campo MonCotiz es obligatorio, e igual a 1 cuando se trate de MonId=PES.",
    10040: "El tipo de los comprobantes asociados no corresponde al tipo de comprobante a autorizar.",
    10047: "El campo ImpIVA no puede ser menor a cero. Para comprobantes tipo C debe ser igual a cero.",
    10048: "El campo 'Importe Total' ImpTotal, debe ser igual a la suma de ImpTotConc + ImpNeto + ImpOpEx "
           "+ ImpTrib + ImpIVA.",
    10049: "Los campos FchServDesde, FchServHasta y FchVtoPago son obligatorios cuando el campo Concepto "
           "es igual a 2 o 3, con formato yyyymmdd.",
    10051: "Los importes informados en AlicIVA no se corresponden con el porcentaje de IVA seleccionado.",
    10061: "La suma de los campos BaseImp en AlicIva debe ser igual al valor ingresado en ImpNeto.",
    10070: "Si el importe neto es mayor a cero, es obligatorio informar el array de IVA.",
    10071: "Si el tipo de comprobante es C, el array de IVA no debe informarse.",
    10197: "Si el comprobante es Debito o Credito, se debera informar el periodo asociado o al menos "
           "un comprobante asociado.",
    10242: "El campo de identificacion de la Condicion de IVA del receptor no es un valor permitido. "
           "Para mayor detalle consultar el metodo FEParamGetCondicionIvaReceptor.",
    10243: "El campo de identificacion de Condicion de IVA del receptor no es valido para la clase de "
           "comprobante informado. Para mas detalle consultar el Metodo: FEParamGetCondicionIvaReceptor",
    10246: "Campo Condicion Frente al IVA del receptor es obligatorio conforme a lo reglamentado por la "
           "Resolucion General N 5616. Para mas informacion consultar metodo FEParamGetCondicionIvaReceptor.",
    10041: "Si el punto de venta del comprobante asociado es electronico, el numero de comprobante debe obrar "
           "en las bases del organismo para el punto de venta y tipo de comprobante informado.",
}


@dataclass(frozen=True)
class Associated:
    kind: int
    point_of_sale: int
    number: int


@dataclass(frozen=True)
class VatLine:
    rate_id: int
    base: Decimal
    amount: Decimal


@dataclass(frozen=True)
class Detail:
    """One FECAEDetRequest as read from the wire; `fields` keeps every value for FECompConsultar."""

    fields: tuple[tuple[str, str], ...]
    concept: int
    doc_type: int
    doc_number: int
    first: int
    last: int
    issued: str | None
    total: Decimal
    untaxed: Decimal
    net: Decimal
    exempt: Decimal
    taxes: Decimal
    vat: Decimal
    service_from: str | None
    service_to: str | None
    payment_due: str | None
    currency: str | None
    exchange_rate: Decimal
    receptor_condition: int | None
    vat_lines: tuple[VatLine, ...] | None
    associated: tuple[Associated, ...] | None
    associated_period: bool = False
    source: bytes = field(default=b"", compare=False, repr=False)   # the element as received


@dataclass(frozen=True)
class Outcome:
    """What one document got: A with a CAE or R with the reasons."""

    detail: Detail
    result: str
    cae: str | None = None
    cae_due: str | None = None
    observations: tuple[tuple[int, str], ...] = ()
    reprocessed: bool = False


@dataclass
class Authorized:
    detail: Detail
    cae: str
    cae_due: str
    processed: str
    observations: tuple[tuple[int, str], ...]


@dataclass
class Book:
    """Every series' last number and every authorized document, per issuing CUIT."""

    last: dict[tuple[int, int, int], int] = field(default_factory=dict)
    last_date: dict[tuple[int, int, int], str] = field(default_factory=dict)
    authorized: dict[tuple[int, int, int, int], Authorized] = field(default_factory=dict)
    next_cae: int = FIRST_CAE

    def last_number(self, cuit: int, point_of_sale: int, kind: int) -> int:
        return self.last.get((cuit, point_of_sale, kind), 0)

    def authorize(self, cuit: int, point_of_sale: int, kind: int, details: list[Detail],
                  now: datetime) -> list[Outcome]:
        """Check and number DETAILS one after the other; the book keeps what was authorized."""
        outcomes = []
        for detail in details:
            series = (cuit, point_of_sale, kind)
            earlier = self.authorized.get((*series, detail.first))
            if earlier is not None and earlier.detail.fields == detail.fields:
                outcomes.append(Outcome(detail, "A", earlier.cae, earlier.cae_due, earlier.observations, True))
                continue
            refusals = self._numbering(series, detail, now) + check_detail(kind, detail)
            if refusals:
                outcomes.append(Outcome(detail, "R", observations=tuple(refusals)))
                continue
            notes = tuple(self._associated_notes(cuit, detail))
            cae, due = self._grant(series, detail, now, notes)
            outcomes.append(Outcome(detail, "A", cae, due, notes))
        return outcomes

    def consult(self, cuit: int, point_of_sale: int, kind: int, number: int) -> Authorized | None:
        return self.authorized.get((cuit, point_of_sale, kind, number))

    def _numbering(self, series: tuple[int, int, int], detail: Detail, now: datetime) -> list[tuple[int, str]]:
        refusals = []
        if not (1 <= detail.first <= MAX_NUMBER and 1 <= detail.last <= MAX_NUMBER):
            return [(10008, MSG[10008])]
        if CLASS_OF[series[2]] in ("A", "C") and detail.first != detail.last:
            refusals.append((10012, MSG[10012]))
        elif detail.last < detail.first:
            refusals.append((10011, MSG[10011]))
        if detail.first != self.last.get(series, 0) + 1 or not self._date_fits(series, detail, now):
            refusals.append((10016, MSG[10016]))
        return refusals

    def _date_fits(self, series: tuple[int, int, int], detail: Detail, now: datetime) -> bool:
        if detail.issued is None:
            return True
        issued = _day(detail.issued)
        if issued is None or detail.issued < self.last_date.get(series, ""):
            return False
        reach = 10 if detail.concept in (2, 3) else 5
        return abs((issued - now.date()).days) <= reach

    def _associated_notes(self, cuit: int, detail: Detail) -> list[tuple[int, str]]:
        return [(10041, MSG[10041]) for a in detail.associated or ()
                if (cuit, a.point_of_sale, a.kind, a.number) not in self.authorized]

    def _grant(self, series: tuple[int, int, int], detail: Detail, now: datetime,
               notes: tuple[tuple[int, str], ...]) -> tuple[str, str]:
        cae = f"{self.next_cae:014d}"
        self.next_cae += 1
        issued = _day(detail.issued) or now.date()
        due = (max(issued, now.date()) + timedelta(days=CAE_DAYS)).strftime("%Y%m%d")
        processed = now.strftime("%Y%m%d%H%M%S")
        for number in range(detail.first, detail.last + 1):
            self.authorized[(*series, number)] = Authorized(detail, cae, due, processed, notes)
        self.last[series] = detail.last
        self.last_date[series] = detail.issued or now.strftime("%Y%m%d")
        return cae, due


def check_detail(kind: int, detail: Detail) -> list[tuple[int, str]]:
    """Every excluding check of one document that does not depend on the book."""
    letter = CLASS_OF[kind]
    refusals = []
    if letter == "A" and detail.doc_type != 80:
        refusals.append(10013)
    refusals += _receptor(letter, detail.receptor_condition)
    refusals += _periods(detail)
    if detail.currency != "PES":
        refusals.append(10037)
    elif detail.exchange_rate != 1:
        refusals.append(10039)
    refusals += _amounts(letter, kind, detail)
    if kind in NOTES and not detail.associated and not detail.associated_period:
        refusals.append(10197)
    if any(a.kind not in ASSOCIABLE[letter] for a in detail.associated or ()):
        refusals.append(10040)
    return [(code, MSG[code]) for code in refusals]


def _receptor(letter: str, condition: int | None) -> list[int]:
    if condition is None:
        return [10246]
    if condition not in RECEPTOR_CONDITIONS:
        return [10242]
    if (letter == "A") != (condition in CLASS_A_RECEPTORS) and letter != "C":
        return [10243]
    return []


def _periods(detail: Detail) -> list[int]:
    if detail.concept not in (1, 2, 3):
        return [10030]
    if detail.concept == 1:
        return []
    days = [_day(d) if d else None for d in (detail.service_from, detail.service_to, detail.payment_due)]
    if None in days:
        return [10049]
    start, end, due = days
    refusals = []
    if start and end and start > end:
        refusals.append(10032)
    issued = _day(detail.issued) if detail.issued else None
    if issued and due and due < issued:
        refusals.append(10036)
    return refusals


def _amounts(letter: str, kind: int, detail: Detail) -> list[int]:
    refusals = []
    if letter == "C":
        if detail.vat != 0 or detail.untaxed != 0 or detail.exempt != 0:
            refusals.append(10047)
        if detail.vat_lines is not None:
            refusals.append(10071)
        if not _close(detail.total, detail.net + detail.taxes):
            refusals.append(10048)
        return refusals
    if not _close(detail.total, detail.untaxed + detail.net + detail.exempt + detail.taxes + detail.vat):
        refusals.append(10048)
    lines = detail.vat_lines or ()
    if not lines:
        if detail.vat > 0:
            refusals.append(10018)
        if detail.net > 0:
            refusals.append(10070)
        return refusals
    if any(line.rate_id not in VAT_RATES for line in lines):
        return refusals + [10019]
    if not _close(sum((line.amount for line in lines), Decimal(0)), detail.vat, len(lines)):
        refusals.append(10023)
    if kind not in NOTES:
        if not _close(sum((line.base for line in lines), Decimal(0)), detail.net, len(lines)):
            refusals.append(10061)
        if any(not _close(line.base * VAT_RATES[line.rate_id] / 100, line.amount) for line in lines):
            refusals.append(10051)
    return refusals


def _close(expected: Decimal, actual: Decimal, count: int = 1) -> bool:
    """AFIP's margin: absolute error at most 0.01 (per rate line) or relative error at most 0.01 %."""
    error = abs(expected - actual)
    return error <= Decimal("0.01") * count or (expected != 0 and error / abs(expected) <= Decimal("0.0001"))


def _day(text: str | None) -> date | None:
    try:
        return datetime.strptime(text or "", "%Y%m%d").date()
    except ValueError:
        return None
