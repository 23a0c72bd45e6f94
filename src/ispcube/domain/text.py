"""Text normalisation used for search and for the duplicate checks, and the one check of a
one-line text field."""

import re
from typing import Any, overload
import unicodedata

from ispcube.errors import Invalid

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


QUOTE_LIMIT = 40    # characters of a user's value an error message repeats


def quoted(value: Any, limit: int = QUOTE_LIMIT) -> str:
    """VALUE as an error message quotes it: 'like this', cut to its first LIMIT characters.

    A pasted file or a 10 MB option must not come back as a 10 MB error line; a NUL or a line
    break must not split it either, so control characters are shown escaped.
    """
    text = str(value)
    shown = text[:limit] + ("..." if len(text) > limit else "")
    if not shown.isprintable():
        shown = "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in shown)
    return f"'{shown}'"


# C0 (line breaks, tabs, escape...), DEL and C1: none belongs in a name, an address, a reason or a
# setting; a line break there splits an e-mail header, a log line or a CSV row.
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
NOT_ONE_LINE = "holds a control character (a line break, a tab...): give one line of text"


@overload
def one_line(text: str, field: str | None = None) -> str: ...
@overload
def one_line(text: None, field: str | None = None) -> None: ...
@overload
def one_line(text: str | None, field: str | None = None) -> str | None: ...
def one_line(text: str | None, field: str | None = None) -> str | None:
    """TEXT unchanged, or Invalid when it holds a control character: FIELD and the value, then
    why (without FIELD: only why, for the callers that name the field and value themselves)."""
    if text is not None and CONTROL.search(text):
        raise Invalid(f"{field} {quoted(text)} {NOT_ONE_LINE}" if field else NOT_ONE_LINE)
    return text


@overload
def refuse_nul(text: str, field: str) -> str: ...
@overload
def refuse_nul(text: None, field: str) -> None: ...
@overload
def refuse_nul(text: str | None, field: str) -> str | None: ...
def refuse_nul(text: str | None, field: str) -> str | None:
    """TEXT unchanged, or Invalid naming FIELD when it holds a NUL byte (PostgreSQL refuses
    them in text columns, C tools cut the value there: one rule on both backends)."""
    if text is not None and "\x00" in text:
        raise Invalid(f"{field} holds a NUL byte (\\0); remove it and try again")
    return text


_NOT_UTF8 = re.compile("[\ud800-\udfff]")    # bytes Python could not decode, kept as surrogates


def refuse_nul_arguments(args: list[str]) -> None:
    """Refuse a command line whose options or arguments hold a NUL byte, or bytes that are not
    UTF-8 (a terminal in another encoding), naming the option."""
    for position, arg in enumerate(args):
        if "\x00" in arg or _NOT_UTF8.search(arg):
            before = args[position - 1] if position else ""
            if arg.startswith("--"):
                field = f"option {arg.split('=', 1)[0]}"
            elif before.startswith("-") and "=" not in before:
                field = f"the value of {before}"
            else:
                field = f"argument {quoted(arg, 20)}"
            refuse_nul(arg, field)
            raise Invalid(f"{field} holds bytes that are not UTF-8: set the terminal to UTF-8 and try again")
