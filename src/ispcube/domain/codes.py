"""Generated client codes (C2): the `client.code_format` setting and the codes it yields.

A format is a literal prefix and suffix around one number field, so every code it yields is a
code `client add --code` accepts (1 to 40 characters, no spaces, not starting with ZZ) and
fits the code column. Anything richer (attribute access, other fields, space padding, huge
widths) is refused, and a format stored by an older version is checked again before use.
"""

import re

from ispcube.errors import Invalid

CODE_MAX_LENGTH = 40          # the length of clients.code
MAX_WIDTH = 20                # zero padding wider than this is a typo, not a code plan
# Room kept for the number itself: codes stay valid up to a billion clients.
NUMBER_ROOM = 9
LITERAL_PUNCTUATION = "-_./#"
_FORMAT = re.compile(r"(?P<prefix>[^{}]*)\{n(?::(?:d|0(?P<width>[1-9][0-9]?)d?))?\}(?P<suffix>[^{}]*)")
ALLOWED = (f"a client code format is letters, digits or {' '.join(LITERAL_PUNCTUATION)} around one "
           f"{{n}} or {{n:0Wd}} (W from 1 to {MAX_WIDTH}), not starting with ZZ, with codes of at most "
           f"{CODE_MAX_LENGTH} characters, e.g. C{{n:06d}}")


def _literal_ok(text: str) -> bool:
    return all(ch.isalnum() or ch in LITERAL_PUNCTUATION for ch in text)


def parse_code_format(text: str) -> str:
    """TEXT as a client code format, or Invalid with one sentence saying what is allowed."""
    fmt = str(text).strip()
    match = _FORMAT.fullmatch(fmt)
    if match is None or not _literal_ok(match["prefix"]) or not _literal_ok(match["suffix"]):
        raise Invalid(f"'{_shown(text)}' is not a code format: {ALLOWED}")
    width = int(match["width"] or 0)
    if width > MAX_WIDTH:
        raise Invalid(f"'{_shown(text)}' pads the number too wide: {ALLOWED}")
    literal = len(match["prefix"]) + len(match["suffix"])
    if literal + max(width, NUMBER_ROOM) > CODE_MAX_LENGTH:
        raise Invalid(f"'{_shown(text)}' leaves too little room for the number: {ALLOWED}")
    if match["prefix"].upper().startswith("ZZ"):
        raise Invalid(f"'{_shown(text)}' starts with ZZ, which is reserved for deleted clients: {ALLOWED}")
    return fmt


def format_code(fmt: str, number: int) -> str:
    """The client code FMT yields for NUMBER; a stored format no longer allowed is refused
    with the way to fix it instead of being run."""
    try:
        parse_code_format(fmt)
    except Invalid as exc:
        raise Invalid(f"setting client.code_format: {exc} (fix it with `ispcube config set "
                      "client.code_format FORMAT`, or give --code)") from None
    code = fmt.format(n=number)
    if len(code) > CODE_MAX_LENGTH:
        raise Invalid(f"client number {number} gives the code '{code[:CODE_MAX_LENGTH]}...', longer than "
                      f"{CODE_MAX_LENGTH} characters: give --code or change client.code_format")
    return code


def _shown(text: str) -> str:
    """The value as it goes in a message: one line, and short."""
    flat = str(text).encode("unicode_escape").decode("ascii")
    return flat if len(flat) <= 60 else flat[:57] + "..."
