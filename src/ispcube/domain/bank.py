"""Bank identifiers a direct debit or a gateway needs (K1, K2): IBAN, BIC, SEPA mandate
reference and creditor identifier, Argentine CBU.

Each parser takes what a person typed (spaces, lower case) and returns the electronic form
that is stored and written into files; `Invalid` says in one sentence what is wrong. The check
digits are verified by well-kept libraries (schwifty, python-stdnum), imported when first used.
"""

import re

from ispcube.domain.text import quoted
from ispcube.errors import Invalid

# The SEPA character set for identifiers (EPC rulebook): Latin letters, digits, / - ? : ( ) . , ' +
# and the space. A mandate reference may not start or end with '/', nor hold '//'.
_SEPA_ID = re.compile(r"^[A-Za-z0-9/\-?:().,'+ ]{1,35}$")
_NOT_EPC = re.compile(r"[^A-Za-z0-9/\-?:().,'+ ]")
EPC_SET = "letters, digits, spaces and / - ? : ( ) . , ' +"


def epc_text(text: str, limit: int) -> str:
    """TEXT as a SEPA file may carry it, in the EPC's basic Latin set: transliterated (ñ -> n,
    ß -> ss, Köln -> Koln), '&' as '+', any other character a space, at most LIMIT characters;
    '' when no letter or digit is left (banks applying the set reject what is outside it)."""
    from text_unidecode import unidecode
    written = " ".join(_NOT_EPC.sub(" ", unidecode(str(text)).replace("&", "+")).split())
    return written[:limit].rstrip() if any(ch.isalnum() for ch in written) else ""


def unwritable(text: str) -> str:
    """The characters of TEXT that a SEPA file cannot carry even transliterated ('' if none)."""
    from text_unidecode import unidecode
    return "".join(dict.fromkeys(ch for ch in str(text) if ch != "&" and _NOT_EPC.search(unidecode(ch) or ch)))


def parse_iban(text: str) -> str:
    """The IBAN in electronic form (no spaces, upper case), country format and check digits verified."""
    from schwifty import IBAN
    from schwifty.exceptions import SchwiftyException
    try:
        return IBAN(str(text)).compact
    except SchwiftyException as exc:
        raise Invalid(f"IBAN {quoted(text)} is not valid ({_reason(exc)})") from None


def format_iban(compact: str | None) -> str | None:
    """An IBAN in groups of four, as people read it."""
    if not compact:
        return compact
    return " ".join(compact[i:i + 4] for i in range(0, len(compact), 4))


def parse_bic(text: str) -> str:
    """A BIC (8 or 11 characters) in upper case, its form and country verified."""
    from schwifty import BIC
    from schwifty.exceptions import SchwiftyException
    try:
        return BIC(str(text)).compact
    except SchwiftyException as exc:
        raise Invalid(f"BIC {quoted(text)} is not valid ({_reason(exc)})") from None


def bic_of(iban: str) -> str | None:
    """The BIC of the IBAN's bank when schwifty's bank registry knows it."""
    from schwifty import IBAN
    bic = IBAN(iban).bic
    return bic.compact if bic is not None else None


def parse_mandate_ref(text: str) -> str:
    """A SEPA mandate reference: 1 to 35 characters of the SEPA set, no leading, trailing or double '/'."""
    value = str(text).strip()
    if not _SEPA_ID.match(value):
        raise Invalid(f"mandate reference {quoted(text)} must be 1 to 35 letters, digits, spaces "
                      "or / - ? : ( ) . , ' +")
    if value.startswith("/") or value.endswith("/") or "//" in value:
        raise Invalid(f"mandate reference {quoted(text)} must not start or end with '/' nor hold '//'")
    return value


def parse_creditor_id(text: str) -> str:
    """A SEPA creditor identifier (e.g. ES59ZZZX0000000J), check digits verified."""
    from stdnum.eu import at_02
    from stdnum.exceptions import ValidationError
    try:
        return at_02.validate(str(text))
    except ValidationError as exc:
        raise Invalid(f"creditor identifier {quoted(text)} is not valid ({_stdnum_reason(exc)})") from None


def parse_cbu(text: str) -> str:
    """An Argentine CBU: 22 digits whose two check digits are right."""
    from stdnum.ar import cbu
    from stdnum.exceptions import ValidationError
    try:
        return cbu.validate(str(text))
    except ValidationError as exc:
        raise Invalid(f"CBU {quoted(text)} is not valid ({_stdnum_reason(exc)})") from None


def _reason(exc: Exception) -> str:
    return str(exc).strip().rstrip(".").lower() or type(exc).__name__


def _stdnum_reason(exc: Exception) -> str:
    """The sentence a python-stdnum error carries (each of its error kinds sets `message`)."""
    return str(getattr(exc, "message", exc)).rstrip(".").lower()
