"""Column types that behave the same on PostgreSQL and SQLite."""

from decimal import Decimal

from sqlalchemy import BigInteger, Numeric
from sqlalchemy.types import TypeDecorator

_CENT = Decimal("0.01")


class Money(TypeDecorator):
    """NUMERIC(14,2) on PostgreSQL; whole cents in an INTEGER on SQLite.

    SQLite has no exact decimal type (NUMERIC affinity falls back to floats), so cents keep
    sums and atomic `balance = balance + :delta` updates exact there too.
    """

    impl = Numeric(14, 2)
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(14, 2, asdecimal=True))

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        value = Decimal(value).quantize(_CENT)
        if dialect.name == "sqlite":
            return int(value * 100)
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if dialect.name == "sqlite":
            return (Decimal(int(value)) / 100).quantize(_CENT)
        return Decimal(value).quantize(_CENT)

    @property
    def python_type(self):
        return Decimal
