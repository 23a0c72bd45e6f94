"""What the router jobs and a manual change report, typed: the rows `enforce`, `preaviso`,
`client enable|disable`, `pay --enable` and `payments import` print.

The rows are TypedDicts, so each stays the plain dict the JSON output prints, key for key;
the states are `StrEnum`s, printed as the words they always were.
"""

from enum import StrEnum
from typing import NotRequired, TypedDict


class RouterStatus(StrEnum):
    """How a job's work on one router went."""
    OK = "ok"
    FAILED = "failed"            # a change failed, or the router could not be read
    SKIPPED = "skipped"          # the router keeps no such list, or another run claimed it


class Applied(StrEnum):
    """Where a manual change stands on one router."""
    DONE = "done"
    QUEUED = "queued"            # the router failed or stayed busy: the job retries its task


class ChangeRow(TypedDict):
    """One change a job makes (or plans, or finds drifted) on a router."""
    router: str
    action: str                  # a task action, or "remove stray"
    client: str | None
    target: str | None


class RouterRow(TypedDict):
    """A job's work on one router; a router claimed by another run has no counts."""
    router: str
    status: RouterStatus
    changes: NotRequired[int]
    done: NotRequired[int]
    failed: NotRequired[int]
    writes: NotRequired[int]
    error: str | None


class ExpiredTask(TypedDict):
    """A task given up: its retry window ended before the router took it."""
    client: str
    router: str
    action: str
    target: str
    since: str
    last_error: str | None


class DecisionRow(TypedDict):
    """Why a plan changes a client's service (or holds back its cut)."""
    client: str
    action: str
    overdue: str
    days: int | None
    rule: str


class AppliedRow(TypedDict):
    """A manual change on one of the client's routers."""
    router: str
    status: Applied
    error: str | None


class OnRouters(TypedDict):
    """A change of a client's service (by hand, or after a payment) and how each of its
    routers took it."""
    client: str
    routers: list[AppliedRow]


class ManualChange(OnRouters):
    """`client enable|disable`: also the state set."""
    service: str


def run_failure(job: str, check: bool, drift: int, failed: int, expired: int, wanted: str = "wanted state") -> str:
    """The one sentence a router job's run that did not go clean ends with (exit 3): what drifted
    from WANTED or could not be read (a --check), or what failed or expired (a run)."""
    if check:
        parts = [f"{drift} difference(s) between the routers and the {wanted}" if drift else "",
                 f"{failed} router(s) could not be read" if failed else ""]
    else:
        parts = [f"{failed} failure(s) on the routers" if failed else "",
                 f"{expired} task(s) expired" if expired else ""]
    return f"{job}: " + " and ".join(p for p in parts if p) + "; see the summary above"
