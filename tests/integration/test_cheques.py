"""Cheques (L4): listing, the status moves allowed, and the DX of a rejected cheque."""

import pytest

CHEQUE = "bank=Galicia,number={n},amount={amount},deposit=2026-12-0{n}"


@pytest.fixture
def paid(cli):
    cli.ok("operator", "add", "--name", "ana", "--role", "collector")
    cli.ok("client", "add", "--code", "A1", "--name", "Ana", "--collector", "ana")
    cli.ok("client", "add", "--code", "B2", "--name", "Beto", "--address", "Otra 2")
    cli.ok("pay", "A1", "--cheque", CHEQUE.format(n=1, amount="300"), "--cheque", CHEQUE.format(n=2, amount="45.50"))
    cli.ok("pay", "B2", "--cash", "5", "--cheque", CHEQUE.format(n=3, amount="70"))
    return cli


def test_list_and_filter_by_status(paid):
    rows = paid.json("cheque", "list")
    assert [(r["id"], r["client"], r["number"], r["amount"], r["status"], r["receipt"]) for r in rows] == [
        (1, "A1", "1", "300.00", "pending", 1), (2, "A1", "2", "45.50", "pending", 1),
        (3, "B2", "3", "70.00", "pending", 2)]
    paid.ok("cheque", "set-status", "2", "deposited")
    assert [r["id"] for r in paid.json("cheque", "list", "--status", "deposited")] == [2]
    assert [r["id"] for r in paid.json("--operator", "ana", "cheque", "list")] == [1, 2]
    bad = paid("cheque", "list", "--status", "bounced")
    assert bad.exit_code == 1 and "status 'bounced' is not one of" in bad.stderr


def test_pending_deposited_cleared(paid):
    assert paid.ok("cheque", "set-status", "1", "deposited").stdout == "cheque 1 of client A1 is now deposited\n"
    paid.ok("cheque", "set-status", "1", "cleared")
    assert paid.json("client", "show", "A1")["balance"] == "-345.50"
    log = [e["message"] for e in paid.json("client", "log", "A1") if e["kind"] == "cheque.status"]
    assert log == ["cheque 1 (Galicia 1, 300.00) pending -> deposited",
                   "cheque 1 (Galicia 1, 300.00) deposited -> cleared"]


def test_rejected_cheque_adds_a_dx_and_is_logged(paid):
    paid.ok("cheque", "set-status", "1", "deposited")
    done = paid.json("cheque", "set-status", "1", "rejected")
    assert (done["status"], done["dx"], done["balance"]) == ("rejected", 1, "-45.50")
    statement = paid.json("ledger", "show", "A1")
    assert (statement[-1]["document"], statement[-1]["debit"]) == ("DX 1", "300.00")
    assert statement[-1]["comment"] == "cheque Galicia 1 rejected"
    kinds = [e["kind"] for e in paid.json("client", "log", "A1")]
    assert kinds[-2:] == ["cheque.status", "ledger.dx"]
    # a rejected cheque may be presented again
    paid.ok("pay", "A1", "--cheque", CHEQUE.format(n=1, amount="300"))
    assert paid.json("client", "show", "A1")["balance"] == "-345.50"


@pytest.mark.parametrize("moves, refused, message", [
    (["deposited", "cleared"], "rejected", "cannot go from cleared to rejected: that status is final"),
    (["rejected"], "deposited", "cannot go from rejected to deposited: that status is final"),
    ([], "cleared", "cannot go from pending to cleared: it can only become deposited or rejected"),
    (["deposited"], "pending", "cannot go from deposited to pending: it can only become cleared or rejected"),
    (["deposited"], "deposited", "cheque 1 is already deposited"),
])
def test_illegal_moves_refused_and_nothing_changes(paid, moves, refused, message):
    for status in moves:
        paid.ok("cheque", "set-status", "1", status)
    before = (paid.json("ledger", "show", "A1"), paid.json("cheque", "list"))
    result = paid("cheque", "set-status", "1", refused)
    assert result.exit_code == 1 and message in result.stderr
    assert (paid.json("ledger", "show", "A1"), paid.json("cheque", "list")) == before


def test_bad_arguments(paid):
    for args, message in ((["99", "rejected"], "cheque 99 does not exist"),
                          (["x", "rejected"], "cheque id 'x' is not a number"),
                          (["1", "lost"], "status 'lost' is not one of pending, deposited, cleared, rejected")):
        result = paid("cheque", "set-status", *args)
        assert result.exit_code == 1 and message in result.stderr, (args, result.stderr)
    assert {r["status"] for r in paid.json("cheque", "list")} == {"pending"}


def test_cheque_of_an_annulled_receipt_is_frozen_and_collectors_cannot_move_cheques(paid):
    collector = paid("--operator", "ana", "cheque", "set-status", "1", "deposited")
    assert collector.exit_code == 1 and "is a collector" in collector.stderr
    entry = paid.json("ledger", "show", "A1")[0]["entry"]
    paid.ok("ledger", "annul", str(entry), "--reason", "cheques returned to the client")
    result = paid("cheque", "set-status", "1", "rejected")
    assert result.exit_code == 1 and "belongs to a receipt that was annulled" in result.stderr
    assert paid.json("client", "show", "A1")["balance"] == "0.00"
