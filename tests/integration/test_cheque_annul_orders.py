"""Payments with cheques, rejections, annulments and rebuilds in any order (L3-L6, R10).

A model says what the client really owes after each step: every receipt that stands counts
its cash and its cheques, except the cheques rejected with a DX still in force; an annulled
receipt counts nothing. Hypothesis runs the commands in random orders on SQLite and
PostgreSQL and checks, after each one, the exit code the model expects, the cached balance
against the model, and finally that `ledger rebuild` finds nothing to fix.
"""

from dataclasses import dataclass, field
from decimal import Decimal
import json
from pathlib import Path
import shutil
import subprocess
import sys
import time
import uuid

from hypothesis import HealthCheck, example, given, settings, strategies as st
import pytest
from sqlalchemy import create_engine, text

from tests.conftest import Cli, _reset_pg

NEXT = {"pending": ("deposited", "rejected"), "deposited": ("cleared", "rejected"), "cleared": (), "rejected": ()}


@dataclass
class ChequeModel:
    amount: Decimal
    receipt: int                      # index into Model.receipts
    status: str = "pending"
    dx_entry: int | None = None
    dx_annulled: bool = False

    @property
    def charged_back(self) -> bool:
        return self.status == "rejected" and not self.dx_annulled


@dataclass
class ReceiptModel:
    entry: int
    cash: Decimal
    cheques: list[int]                # indexes into Model.cheques
    annulled: bool = False


@dataclass
class Model:
    receipts: list[ReceiptModel] = field(default_factory=list)
    cheques: list[ChequeModel] = field(default_factory=list)

    def kept(self, receipt: ReceiptModel) -> Decimal:
        """What of RECEIPT the ISP still holds: its cash and the cheques not charged back."""
        return receipt.cash + sum((self.cheques[i].amount for i in receipt.cheques
                                   if not self.cheques[i].charged_back), Decimal(0))

    def owed(self) -> Decimal:
        return -sum((self.kept(r) for r in self.receipts if not r.annulled), Decimal(0))

    def dxs(self) -> list[ChequeModel]:
        return [c for c in self.cheques if c.dx_entry is not None]


PAY = st.tuples(st.just("pay"), st.sampled_from(["0", "7", "50"]),
                st.lists(st.sampled_from(["13", "50", "100"]), max_size=2))
PICK = st.tuples(st.sampled_from(["deposited", "cleared", "rejected", "annul-receipt", "annul-dx"]),
                 st.integers(0, 3))
REBUILD = st.just(("rebuild",))
STEPS = st.lists(st.one_of(PAY, PICK, REBUILD), min_size=1, max_size=9)


def run_step(cli: Cli, model: Model, step: tuple) -> None:
    kind = step[0]
    if kind == "pay":
        _, cash, cheques = step
        if cash == "0" and not cheques:
            return
        args = ["pay", "A1", "--cash", cash]
        for amount in cheques:
            args += ["--cheque", f"bank=Nación,number={uuid.uuid4().hex[:8]},amount={amount},deposit=2026-12-01"]
        paid = cli.json(*args)
        model.receipts.append(ReceiptModel(paid["entry"], Decimal(cash), []))
        for cheque_id in paid["cheques"]:
            model.receipts[-1].cheques.append(cheque_id - 1)
            model.cheques.append(ChequeModel(Decimal(cheques[len(model.receipts[-1].cheques) - 1]),
                                             len(model.receipts) - 1))
        return
    if kind == "rebuild":
        assert cli.json("ledger", "rebuild")["wrong"] == []
        return
    _, pick = step
    if kind in NEXT["pending"] + NEXT["deposited"]:
        if not model.cheques:
            return
        index = pick % len(model.cheques)
        cheque = model.cheques[index]
        allowed = kind in NEXT[cheque.status] and not model.receipts[cheque.receipt].annulled
        result = cli("--format", "json", "cheque", "set-status", str(index + 1), kind)
        assert result.exit_code == (0 if allowed else 1), (step, result.stderr)
        if allowed:
            cheque.status = kind
            if kind == "rejected":
                dx_number = json.loads(result.stdout)["dx"]
                cheque.dx_entry = next(row["entry"] for row in cli.json("ledger", "show", "A1")
                                       if row["document"] == f"DX {dx_number}")
        return
    if kind == "annul-receipt":
        if not model.receipts:
            return
        receipt = model.receipts[pick % len(model.receipts)]
        allowed = not receipt.annulled and model.kept(receipt) > 0
        result = cli("ledger", "annul", str(receipt.entry), "--reason", "test")
        assert result.exit_code == (0 if allowed else 1), (step, result.stderr)
        receipt.annulled = receipt.annulled or allowed
        return
    dxs = model.dxs()
    if not dxs:
        return
    cheque = dxs[pick % len(dxs)]
    allowed = not cheque.dx_annulled and not model.receipts[cheque.receipt].annulled
    result = cli("ledger", "annul", str(cheque.dx_entry), "--reason", "test")
    assert result.exit_code == (0 if allowed else 1), (step, result.stderr)
    cheque.dx_annulled = cheque.dx_annulled or allowed


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def fresh_cli(request, tmp_path, sqlite_template):
    """A callable giving a new, empty database each time (one per Hypothesis example)."""
    def make() -> Cli:
        if request.param == "sqlite":
            path = tmp_path / f"{uuid.uuid4().hex}.db"
            shutil.copy(sqlite_template, path)
            cli = Cli(f"sqlite:///{path}")
        else:
            url = request.getfixturevalue("pg_database")
            _reset_pg(url)
            cli = Cli(url)
        cli.ok("client", "add", "--code", "A1", "--name", "Ana")
        return cli
    return make


@pytest.mark.slow   # 25 generated histories, each on a fresh database
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=STEPS)
@example(steps=[("pay", "50", ["50"]), ("rejected", 0), ("annul-receipt", 0), ("rebuild",)])
@example(steps=[("pay", "0", ["50"]), ("rejected", 0), ("annul-receipt", 0)])
@example(steps=[("pay", "7", ["13", "100"]), ("rejected", 1), ("annul-receipt", 0), ("annul-dx", 0),
                ("rejected", 0)])
@example(steps=[("pay", "7", ["13"]), ("rejected", 0), ("annul-dx", 0), ("annul-receipt", 0), ("rebuild",)])
def test_any_order_of_pay_reject_annul_rebuild_leaves_what_is_owed(fresh_cli, steps):
    cli, model = fresh_cli(), Model()
    for step in steps:
        run_step(cli, model, step)
        assert Decimal(cli.json("client", "show", "A1")["balance"]) == model.owed(), step
    assert cli.json("ledger", "rebuild")["wrong"] == []


def test_refusals_say_why_in_one_sentence(cli):
    cli.ok("client", "add", "--code", "A1", "--name", "Ana")
    cli.ok("pay", "A1", "--cheque", "bank=Nación,number=1,amount=50,deposit=2026-12-01")
    cli.ok("pay", "A1", "--cash", "10", "--cheque", "bank=Nación,number=2,amount=30,deposit=2026-12-01")
    cli.ok("cheque", "set-status", "1", "rejected")
    cli.ok("cheque", "set-status", "2", "rejected")
    statement = cli.json("ledger", "show", "A1")
    receipt_1, receipt_2, dx_1, dx_2 = (row["entry"] for row in statement)
    nothing = cli("ledger", "annul", str(receipt_1), "--reason", "x")
    assert nothing.exit_code == 1 and nothing.stderr == (
        f"ispcube: entry {receipt_1} (receipt 1) has nothing left to annul: its cheques were all rejected "
        "and charged back\n")
    done = cli.json("ledger", "annul", str(receipt_2), "--reason", "x")
    assert (done["amount"], done["balance"]) == ("10.00", "0.00")
    frozen = cli("ledger", "annul", str(dx_2), "--reason", "x")
    assert frozen.exit_code == 1 and frozen.stderr == (
        f"ispcube: entry {dx_2} (DX 2) charges back a rejected cheque of a receipt that was annulled; "
        "the annulment already left that cheque out\n")
    assert cli.json("client", "show", "A1")["balance"] == "0.00"
    assert len(cli.json("ledger", "show", "A1")) == len(statement) + 1


@pytest.mark.pg
@pytest.mark.slow   # two processes racing, several rounds
def test_a_rejection_and_an_annulment_at_once_never_charge_twice(pg_database, rounds=4):
    """Both wait on the cheque's row lock, then run one after the other in either order:
    the client owes nothing afterwards, however the race went."""
    ispcube = Path(sys.executable).with_name("ispcube")
    for round_number in range(rounds):
        _reset_pg(pg_database)
        cli = Cli(pg_database)
        cli.ok("client", "add", "--code", "A1", "--name", "Ana")
        receipt = cli.json("pay", "A1", "--cash", "50", "--cheque",
                           "bank=Nación,number=1,amount=50,deposit=2026-12-01")["entry"]
        holder = create_engine(pg_database)
        watcher = create_engine(pg_database, isolation_level="AUTOCOMMIT")
        commands = [["cheque", "set-status", "1", "rejected"], ["ledger", "annul", str(receipt), "--reason", "x"]]
        if round_number % 2:
            commands.reverse()
        with holder.connect() as hold, watcher.connect() as watch:
            hold.execute(text("SELECT id FROM cheques WHERE id = 1 FOR UPDATE"))
            racers = []
            for args in commands:
                racers.append(subprocess.Popen([str(ispcube), "--db", pg_database, *args], stdout=subprocess.PIPE,
                                               stderr=subprocess.PIPE, text=True))
            deadline = time.monotonic() + 60
            while watch.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                     "AND wait_event_type = 'Lock'")).scalar() < 2:
                assert time.monotonic() < deadline, "the rejection and the annulment never waited together"
                assert all(p.poll() is None for p in racers), [p.communicate() for p in racers]
                time.sleep(0.05)
            hold.rollback()
        results = {args[0]: (p.wait(timeout=60), p.communicate()[1]) for args, p in zip(commands, racers, strict=True)}
        holder.dispose()
        watcher.dispose()
        assert results["ledger"][0] == 0, results
        assert results["cheque"][0] in (0, 1), results
        assert cli.json("client", "show", "A1")["balance"] == "0.00", results
        assert cli.json("ledger", "rebuild")["wrong"] == []
