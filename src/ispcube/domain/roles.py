"""Operator roles (A3, R11): an admin and an operator act on every client, a collector and a
seller on their own clients only.

A `StrEnum`, so a role compares equal to, and is stored as, the word it always was.
"""

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    OPERATOR = "operator"
    COLLECTOR = "collector"
    SELLER = "seller"
