"""Secrets and values read from stdin (a PPPoE password, a router's secret, a web password, a
setting): bytes that are not UTF-8 are refused here in one sentence naming what was read, before
they reach a database driver or a router as text it cannot encode."""

import re
import sys

from ispcube.errors import Invalid

# Python keeps bytes it could not decode as lone surrogates (its surrogateescape handler).
_NOT_UTF8 = re.compile("[\ud800-\udfff]")


def stdin_line(what: str) -> str:
    """The first line of stdin without its line end (the rest is not read: a terminal gives one)."""
    return _checked(_read(sys.stdin.readline), what).rstrip("\r\n")


def stdin_all(what: str) -> str:
    """All of stdin, without the blanks around it."""
    return _checked(_read(sys.stdin.read), what).strip()


def _read(read) -> str | None:
    try:
        return read()
    except UnicodeDecodeError:
        return None


def _checked(text: str | None, what: str) -> str:
    if text is None or _NOT_UTF8.search(text):
        raise Invalid(f"the {what} given on stdin holds bytes that are not UTF-8: give it as UTF-8 text")
    return text
