"""Record numbers typed by users (entry, cheque, connection ids): one parser for all of them.

Ids are 64-bit in the database; a longer number cannot name a row, so it is "not found"
here, in one sentence, instead of an overflow inside the database driver.
"""

import re

from ispcube.domain.text import quoted
from ispcube.errors import Invalid, NotFound

MAX_ID = 2**63 - 1
_WHOLE = re.compile(r"^[+-]?[0-9]+$")


def parse_id(text: str, what: str, hint: str = "", kind: str = "a number") -> int:
    """The id of WHAT (e.g. 'cheque') in TEXT; HINT (e.g. ' (see `ispcube cheque list`)') ends
    the sentence of an error, KIND says what TEXT should have been."""
    raw = str(text).strip()
    if not _WHOLE.match(raw):
        raise Invalid(f"{what} {quoted(text)} is not {kind}{hint}")
    value = int(raw) if len(raw) <= 20 else MAX_ID + 1
    if not 1 <= value <= MAX_ID:
        raise NotFound(f"{what} {quoted(raw)} does not exist{hint}")
    return value
