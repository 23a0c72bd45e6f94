"""Phones and e-mails: several per client, separated by ';', each validated."""

import re

from ispcube.domain.text import quoted
from ispcube.errors import Invalid

_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")
_PHONE = re.compile(r"^\+?[0-9][0-9 ()./-]{4,24}$")
_SEPARATOR = re.compile(r"[;,]")
_NOT_DIGIT = re.compile(r"\D")


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
    phones = split_list(text.replace(",", ";") if text else text)
    for phone in phones:
        digits = _NOT_DIGIT.sub("", phone)
        if not _PHONE.match(phone) or not 5 <= len(digits) <= 15:
            raise Invalid(f"phone {quoted(phone)} is not a phone number "
                          "(digits, spaces, +, -, ( ) only; 5 to 15 digits)")
    return phones
