"""Text normalisation used for search and for the duplicate checks."""

import re
import unicodedata
from typing import Any

_NON_WORD = re.compile(r"[^\w]+")
_SPACES = re.compile(r"\s+")
# Imports fold 100,000 names and addresses: after NFKD, text whose only non-ASCII characters
# are the Latin combining marks (accents, tilde, cedilla) loses them in one encode call.
_LATIN_MARKS = "".join(chr(c) for c in range(0x300, 0x370) if unicodedata.combining(chr(c)))
_NOT_ASCII_OR_MARK = re.compile(f"[^\\x00-\\x7f{_LATIN_MARKS}]")


def fold(text: str | None) -> str:
    """Lower case without accents, for accent- and case-insensitive search."""
    if not text:
        return ""
    if not text.isascii():
        decomposed = unicodedata.normalize("NFKD", text)
        if _NOT_ASCII_OR_MARK.search(decomposed) is None:
            text = decomposed.encode("ascii", "ignore").decode("ascii")
        else:
            text = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", text.casefold()).strip()


def normalise_address(text: str | None) -> str:
    """Address key: ignores case, accents, punctuation and repeated spaces."""
    folded = fold(text).replace("_", " ")
    return _SPACES.sub(" ", _NON_WORD.sub(" ", folded)).strip()


def cell_text(value: Any) -> str:
    """A value as one cell of a listing or spreadsheet: lists joined with ';', yes/no switches."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ";".join(str(v) for v in value)
    return str(value)
