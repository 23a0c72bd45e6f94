"""The duplicate check (C4) still protects a collector's sign-ups, without naming another
collector's clients to it (A3, R11)."""

import pytest


@pytest.fixture
def two_collectors(cli):
    cli.ok("config", "set", "country", "AR")
    for name in ("ana", "beto"):
        cli.ok("operator", "add", "--name", name, "--role", "collector")
    cli.ok("client", "add", "--code", "BETO7", "--name", "Beto Secreto", "--collector", "beto",
           "--id-type", "DNI", "--id-number", "20123456", "--address", "Calle Oculta 1",
           "--epayment-code", "PAGO-77")
    cli.ok("client", "add", "--code", "OLD9", "--name", "Moroso Borrado", "--collector", "beto",
           "--id-type", "DNI", "--id-number", "30111222")
    cli.ok("ledger", "adjust", "OLD9", "--debit", "500", "--reason", "deuda")
    cli.ok("--yes", "client", "delete", "OLD9")
    return cli


def test_a_collector_is_told_of_a_match_without_its_name(two_collectors):
    cli = two_collectors
    refused = cli("--operator", "ana", "client", "add", "--name", "Nuevo", "--id-type", "DNI",
                  "--id-number", "20123456")
    assert refused.exit_code == 4
    assert "a client of another collector (same ID number)" in refused.stderr
    assert "BETO7" not in refused.stderr and "Secreto" not in refused.stderr
    fraud = cli("--operator", "ana", "client", "add", "--name", "Otro", "--id-type", "DNI", "--id-number", "30111222")
    assert fraud.exit_code == 4 and "possible fraud" in fraud.stderr
    assert "OLD9" not in fraud.stderr and "Moroso" not in fraud.stderr and "500" not in fraud.stderr
    cli.ok("--operator", "ana", "client", "add", "--code", "A1", "--name", "Propio")
    edit = cli("--operator", "ana", "client", "edit", "A1", "--address", "Calle Oculta 1")
    assert edit.exit_code == 4 and "BETO7" not in edit.stderr and "another collector" in edit.stderr
    taken = cli("--operator", "ana", "client", "edit", "A1", "--epayment-code", "PAGO-77")
    assert taken.exit_code == 1 and "already belongs to a client of another collector" in taken.stderr
    assert "BETO7" not in taken.stderr


def test_the_office_still_sees_whom_a_new_client_matches(two_collectors):
    refused = two_collectors("client", "add", "--name", "Nuevo", "--id-type", "DNI", "--id-number", "20123456")
    assert refused.exit_code == 4 and "BETO7 Beto Secreto (same ID number)" in refused.stderr
