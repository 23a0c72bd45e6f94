"""ID numbers: validated and normalised with python-stdnum per country and ID type."""

from functools import lru_cache
import importlib
import re
from typing import NamedTuple

from ispcube.domain.text import quoted
from ispcube.errors import Invalid

# (country, ID type) -> stdnum module. Types not listed are stored as given.
VALIDATORS = {
    ("AR", "DNI"): "stdnum.ar.dni", ("AR", "CUIT"): "stdnum.ar.cuit", ("AR", "CUIL"): "stdnum.ar.cuit",
    ("CL", "RUT"): "stdnum.cl.rut", ("CL", "RUN"): "stdnum.cl.rut",
    ("ES", "NIF"): "stdnum.es.nif", ("ES", "NIE"): "stdnum.es.nie", ("ES", "CIF"): "stdnum.es.cif",
    ("ES", "DNI"): "stdnum.es.dni",
    ("MX", "RFC"): "stdnum.mx.rfc", ("MX", "CURP"): "stdnum.mx.curp",
    ("CO", "NIT"): "stdnum.co.nit",
    ("PE", "RUC"): "stdnum.pe.ruc", ("PE", "DNI"): "stdnum.pe.cui",
    ("UY", "RUT"): "stdnum.uy.rut",
    ("BR", "CPF"): "stdnum.br.cpf", ("BR", "CNPJ"): "stdnum.br.cnpj",
    ("EC", "CI"): "stdnum.ec.ci", ("EC", "RUC"): "stdnum.ec.ruc",
    ("PY", "RUC"): "stdnum.py.ruc",
}
COUNTRIES = sorted({"AR", "CL", "ES", "MX", "CO", "PE", "UY", "BR", "EC", "PY", "BO", "VE",
                    "GT", "CR", "PA", "DO", "HN", "SV", "NI", "US", "PT"})
_KEEP = re.compile(r"[^0-9A-Za-z]")


class IdNumber(NamedTuple):
    shown: str   # as printed on documents
    key: str     # compact form for the duplicate check


@lru_cache(maxsize=None)
def _validator(country: str, kind: str):
    """The stdnum module for COUNTRY and KIND (None: stored as given), imported once."""
    name = VALIDATORS.get((country, kind))
    return importlib.import_module(name) if name else None


def normalise_id(country: str, id_type: str | None, number: str | None) -> IdNumber | None:
    """Validate NUMBER as ID_TYPE of COUNTRY; return its display and comparison forms."""
    if number is None or not number.strip():
        return None
    number = number.strip()
    kind = (id_type or "").strip().upper()
    module = _validator(country.upper(), kind)
    if module is None:
        return IdNumber(shown=number, key=_KEEP.sub("", number).upper())
    from stdnum.exceptions import ValidationError
    try:
        compact = module.validate(number)
    except ValidationError as exc:
        raise Invalid(f"ID number {quoted(number)} is not a valid {country.upper()} {kind}: "
                      f"{str(exc).rstrip('.').lower()}") from None
    shown = module.format(compact) if hasattr(module, "format") else compact
    return IdNumber(shown=shown, key=_KEEP.sub("", compact).upper())
