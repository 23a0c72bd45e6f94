"""The words the jobs, the ledger and the notices share, typed: run modes, what a connection
should hold on a list, task actions and statuses, commitment statuses, job names, client service states and the next
step a notice names.

Each is a `StrEnum`, so a value compares equal to, and is stored as, its plain string: the
database columns, the JSON summaries and the client log keep the words they always had.
"""

from enum import StrEnum


class Mode(StrEnum):
    APPLY = "apply"          # make the routers match
    PLAN = "plan"            # --dry-run: say what would change
    CHECK = "check"          # --check: report the drift, write nothing


class Want(StrEnum):
    """What one connection should hold on one list."""
    MARK = "mark"
    CLEAR = "clear"


class Action(StrEnum):
    """A router task's action: each list has one that marks and one that clears."""
    CUT = "cut"
    RESTORE = "restore"
    THROTTLE = "throttle"
    UNTHROTTLE = "unthrottle"
    WARN = "warn"
    UNWARN = "unwarn"
    STRAY = "stray"          # an entry of ours no connection explains (never a task)
    PROVISION = "provision"          # S2: bring a connection's objects on its router up to date
    DEPROVISION = "deprovision"      # S2: remove what a connection left on a router


OPPOSITE = {Action.CUT: Action.RESTORE, Action.RESTORE: Action.CUT,
            Action.THROTTLE: Action.UNTHROTTLE, Action.UNTHROTTLE: Action.THROTTLE,
            Action.WARN: Action.UNWARN, Action.UNWARN: Action.WARN}


class TaskStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class CommitmentStatus(StrEnum):
    """A payment commitment's state (N5): open until its day settles it or an operator clears it."""
    OPEN = "open"
    KEPT = "kept"            # on its day the overdue debt was within the unlock threshold
    CUT = "cut"              # on its day the debt was above it: the client was cut
    CLEARED = "cleared"      # removed by an operator, or replaced by a new commitment


class JobName(StrEnum):
    """The job a task belongs to (and the name of the job's lock)."""
    ENFORCE = "enforce"
    PREAVISO = "preaviso"
    PROVISION = "provision"


class Service(StrEnum):
    """A client's service state (E3: throttled sits between active and cut)."""
    ACTIVE = "active"
    THROTTLED = "throttled"
    CUT = "cut"


# The states a payment can give service back from (`pay --enable`, `payments import`).
HELD = (Service.THROTTLED, Service.CUT)


class DecidedBy(StrEnum):
    """Who set a client's service state: the job, or an operator (who wins, N6)."""
    JOB = "job"
    MANUAL = "manual"


class NextStep(StrEnum):
    """What happens next unless the client pays (named by a notice with its date)."""
    THROTTLE = "throttle"
    CUT = "cut"
    DUE = "due"            # the invoice falls due
