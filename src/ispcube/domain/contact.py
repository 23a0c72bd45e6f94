"""Phones and e-mails: several per client, separated by ';', each validated.

Phones are taken as people write them (U3): `(02255) 46-1950`, `+54 9 11 4555-1234`,
`011 4555-1234 int 23`, and stored in one form, still readable on a listing: the groups as
written without the parentheses, one space between groups, `-` for `.` and `/` inside a group,
and an extension as ` ext N` (`02255 46-1950`, `011 4555-1234 ext 23`). Search reads the digits.
"""

import re

from ispcube.domain.text import quoted
from ispcube.errors import Invalid

_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")
_PHONE = re.compile(r"\+?[0-9 ()./-]{5,30}")
_EXTENSION = re.compile(r"(?:\s*(?:int(?:erno)?|ext(?:ension)?|x|anexo)\.?:?\s*|\s*#\s*)([0-9]{1,6})", re.IGNORECASE)
_SEPARATOR = re.compile(r"[;,]")
_NOT_DIGIT = re.compile(r"\D")
_JOINERS = re.compile(r"[./]")
_SPACES = re.compile(r"\s+")
_AROUND_DASH = re.compile(r"\s*-+\s*")


def split_list(text: str | None) -> list[str]:
    if not text:
        return []
    return [part.strip() for part in _SEPARATOR.split(text) if part.strip()]


def parse_emails(text: str | None) -> list[str]:
    emails = split_list(text)
    for email in emails:
        if not _EMAIL.match(email):
            raise Invalid(f"e-mail {quoted(email)} is not a valid address")
    return emails


def parse_phones(text: str | None) -> list[str]:
    """Each phone of TEXT (';' or ',' between them) in its stored form, or Invalid naming it."""
    return [normalise_phone(phone) for phone in split_list(text.replace(",", ";") if text else text)]


def normalise_phone(phone: str) -> str:
    number, extension = phone, None
    found = _EXTENSION.search(phone)
    if found and found.end() == len(phone) and found.start() > 0:
        number, extension = phone[:found.start()], found.group(1)
    digits = _NOT_DIGIT.sub("", number)
    if not _PHONE.fullmatch(number.strip()) or not 5 <= len(digits) <= 15 or \
            number.count("(") != number.count(")"):
        raise Invalid(f"phone {quoted(phone)} is not a phone number "
                      "(digits 0-9, spaces, a leading +, - ( ) . /, then 'int 23' for an extension; 5 to 15 digits)")
    stored = _SPACES.sub(" ", _JOINERS.sub("-", number.replace("(", " ").replace(")", " "))).strip()
    stored = _AROUND_DASH.sub("-", stored)
    return f"{stored} ext {extension}" if extension else stored
