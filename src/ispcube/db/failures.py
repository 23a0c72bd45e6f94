"""Database errors as one sentence for the operator: never the SQL, its parameters or a secret.

The text of a SQLAlchemy or driver error holds the statement and the values sent with it (a
router's password, a client's data); it is fine for a debugger and wrong on a terminal or in
a cron log. The kind of failure is read from the DB-API class names, which SQLAlchemy,
psycopg and sqlite3 share, so it never depends on the message text of one driver.
"""

from ispcube.errors import Busy, IspcubeError

_DRIVERS = ("sqlalchemy", "psycopg", "sqlite3", "_sqlite3")
_LOCKED = ("database is locked", "database table is locked", "lock timeout", "could not obtain lock",
           "deadlock detected")


def is_database_error(exc: BaseException) -> bool:
    return any(cls.__module__.split(".")[0] in _DRIVERS for cls in type(exc).__mro__[:-1])


def _kinds(exc: BaseException) -> set[str]:
    """The DB-API names (IntegrityError, OperationalError...) of EXC and of the error it wraps."""
    names = {cls.__name__ for cls in type(exc).__mro__}
    original = getattr(exc, "orig", None)
    if original is not None:
        names |= {cls.__name__ for cls in type(original).__mro__}
    return names


def is_refused_as_duplicate(exc: BaseException) -> bool:
    """Whether EXC is a unique index's refusal, wrapped by SQLAlchemy or raised by the driver
    itself (a COPY)."""
    kinds = _kinds(exc)
    return "UniqueViolation" in kinds or ("IntegrityError" in kinds and "unique" in _first_line(exc).lower())


def reason(exc: BaseException) -> str:
    """What the driver says went wrong, in words that never quote the statement or its values."""
    return _first_line(exc)


def _first_line(exc: BaseException) -> str:
    """The driver's own first line (a server or file message, never the statement)."""
    original = getattr(exc, "orig", None) or exc
    lines = str(original).strip().splitlines()
    if not lines or lines[0].startswith("near "):  # SQLite quotes the statement it could not read
        return type(original).__name__
    return lines[0]


def translate(exc: BaseException) -> IspcubeError:
    """The sentence (and exit code) for a database error EXC."""
    kinds = _kinds(exc)
    if "IntegrityError" in kinds:
        return IspcubeError(f"the database refused the change: {_broken_rule(exc, kinds)}")
    if "DataError" in kinds:
        return IspcubeError("the database refused a value that is too long, out of range or of the "
                            "wrong type")
    if "OperationalError" in kinds:
        reason = _first_line(exc)
        if any(marker in reason.lower() for marker in _LOCKED) or "LockNotAvailable" in kinds:
            return Busy("the database is busy (another command holds a lock): try again later")
        return IspcubeError(f"the database failed or cannot be reached ({reason})")
    if "ProgrammingError" in kinds:
        return IspcubeError("the database could not run the command: check its schema with "
                            "`ispcube db current` (and `ispcube db upgrade`)")
    if kinds & {"DatabaseError", "InterfaceError"}:  # a file that is no database, a dropped link
        return IspcubeError(f"the database failed ({_first_line(exc)})")
    return IspcubeError(f"the database failed ({type(getattr(exc, 'orig', None) or exc).__name__})")


def is_unique_violation(exc: BaseException) -> bool:
    """EXC says a unique index refused a row (a concurrent writer got there first)."""
    kinds = _kinds(exc)
    if "UniqueViolation" in kinds:
        return True
    return "IntegrityError" in kinds and "unique" in _first_line(exc).lower()


def _broken_rule(exc: BaseException, kinds: set[str]) -> str:
    reason = _first_line(exc).lower()  # read to classify, never shown
    if "ForeignKeyViolation" in kinds or "foreign key" in reason:
        return "it refers to a row that does not exist, or removes one that others still use"
    if "UniqueViolation" in kinds or "unique" in reason:
        return "a value that must be unique is already in use"
    if "NotNullViolation" in kinds or "not null" in reason:
        return "a required value is missing"
    return "a value breaks one of its rules"
