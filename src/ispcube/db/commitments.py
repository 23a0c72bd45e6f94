"""Which payment commitments stand (N5), as SQL conditions written once for the enforce job,
its recheck under each router's lock, `commit`, `client enable` and `client show`.

A commitment is open until its day settles it or an operator clears it. While its day is to
come it is in force: the job cuts no one under it. From its day on it falls due: the next
enforce run checks the debt and closes it, kept or cut.

COLUMNS is what holds a commitments table's columns: the mapped class or a table's `.c`.
"""

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_

from ispcube.domain.terms import CommitmentStatus


def is_open(columns: Any) -> ColumnElement[bool]:
    """The commitment is neither settled nor cleared."""
    return columns.status == CommitmentStatus.OPEN


def in_force(columns: Any, today: date) -> ColumnElement[bool]:
    """The commitment postpones any automatic cut past TODAY."""
    return and_(is_open(columns), columns.due_date > today)


def falls_due(columns: Any, today: date) -> ColumnElement[bool]:
    """The commitment's day has come by TODAY and it awaits the job's check."""
    return and_(is_open(columns), columns.due_date <= today)
