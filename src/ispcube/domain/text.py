"""Text normalisation used for search and for the duplicate checks."""

import re
import unicodedata

_NON_WORD = re.compile(r"[^\w]+")
_SPACES = re.compile(r"\s+")


def fold(text: str | None) -> str:
    """Lower case without accents, for accent- and case-insensitive search."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", stripped.casefold()).strip()


def normalise_address(text: str | None) -> str:
    """Address key: ignores case, accents, punctuation and repeated spaces."""
    folded = fold(text).replace("_", " ")
    return _SPACES.sub(" ", _NON_WORD.sub(" ", folded)).strip()
