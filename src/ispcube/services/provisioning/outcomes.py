"""What `provision` and `connection add|edit --now` report, typed: the rows they print and the
run's summary (the shape of enforce's: per router, per change, what expired)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, TypedDict

from ispcube.domain.provisioning import Held, Op, Verb
from ispcube.domain.terms import Mode
from ispcube.services.enforcement.outcomes import ExpiredTask, RouterRow, run_failure

HIDDEN_FIELDS = frozenset({"password", "Cleartext-Password"})   # never printed, only said to be set


class OpRow(TypedDict):
    """One object made, changed or removed on a router (or that would be)."""
    router: str
    action: str              # add | set | remove
    kind: str                # profile | secret | queue | radius-user
    name: str
    client: str | None
    fields: str              # what is written, passwords shown as set
    error: str | None


class ProblemRow(TypedDict):
    """A client whose objects cannot be made as wanted: one sentence each."""
    router: str
    client: str
    problem: str


class ForeignRow(TypedDict):
    """An object on a router that ispcube neither made nor adopted: left alone."""
    router: str
    kind: str
    name: str
    comment: str


def op_row(router: str, op: Op, error: str | None = None) -> OpRow:
    shown = " ".join(f"{k}={'(set)' if k in HIDDEN_FIELDS and v else v}" for k, v in op.fields.items())
    return {"router": router, "action": str(op.verb), "kind": str(op.kind), "name": op.name,
            "client": op.client_code, "fields": shown if op.verb != Verb.REMOVE else "", "error": error}


def foreign_row(router: str, held: Held) -> ForeignRow:
    return {"router": router, "kind": str(held.kind), "name": held.name, "comment": held.comment}


@dataclass
class Summary:
    today: str
    mode: str
    job: str = "provision"
    done: int = 0            # objects made, changed or removed
    failed: int = 0          # ops refused, clients with a problem, routers that could not be worked on
    expired: int = 0
    drift: int = 0           # --check: ops a run would make, and problems
    closed: int = 0          # tasks finished
    routers: list[RouterRow] = field(default_factory=list)
    changes: list[OpRow] = field(default_factory=list)
    problems: list[ProblemRow] = field(default_factory=list)
    foreign: list[ForeignRow] = field(default_factory=list)
    expired_tasks: list[ExpiredTask] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.failed or self.expired or self.drift)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def line(self) -> str:
        if self.mode == Mode.CHECK:
            return (f"provision --check {self.today}: {self.drift} drift, {len(self.foreign)} foreign object(s) "
                    f"left alone, {sum(r['status'] == 'failed' for r in self.routers)} router(s) unreadable")
        if self.mode == Mode.PLAN:
            return f"provision --dry-run {self.today}: {len(self.changes)} router changes planned"
        return (f"provision {self.today}: {self.done} router changes done, {self.failed} failed, "
                f"{self.expired} expired, {self.closed} task(s) closed")

    def failure(self) -> str:
        return run_failure("provision", self.mode == Mode.CHECK, self.drift, self.failed, self.expired,
                           "wanted objects")
