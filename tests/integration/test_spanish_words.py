"""Spanish words wherever a value is a word (U2): filters, client fields, imports and `pay --method`."""

from sqlalchemy import text

from ispcube.db.engine import get_engine


def _codes(cli, *args):
    return [row["code"] for row in cli.json("client", "list", *args)]


def test_service_states_filter_in_spanish(cli, db_url):
    for code in ("A1", "A2", "A3", "A4"):
        cli.ok("client", "add", "--code", code, "--name", f"Cliente {code}")
    with get_engine(db_url).begin() as conn:
        conn.execute(text("UPDATE clients SET service = 'cut' WHERE code = 'A2'"))
        conn.execute(text("UPDATE clients SET service = 'throttled' WHERE code = 'A3'"))
    cli.ok("client", "delete", "A4", "--yes")
    assert _codes(cli, "--service", "Cortado") == _codes(cli, "--service", "suspendido") == ["A2"]
    assert _codes(cli, "--service", "Reducido") == ["A3"]
    assert _codes(cli, "--service", "ACTIVO") == ["A1"]
    assert _codes(cli, "--service", "Baja") == [cli.json("client", "list", "--deleted")[0]["code"]]
    refused = cli("client", "list", "--service", "roto")
    assert refused.exit_code == 1 and "--service 'roto' is not active, throttled, cut or deleted" in refused.stderr


def test_payment_methods_in_spanish_for_clients_and_filters(cli):
    cli.ok("client", "add", "--code", "A1", "--name", "Ana", "--payment-method", "Débito automático")
    cli.ok("client", "add", "--code", "A2", "--name", "Beto", "--payment-method", "efectivo")
    assert cli.json("client", "show", "A1")["payment_method"] == "debit"
    assert _codes(cli, "--payment-method", "Efectivo") == ["A2"]
    refused = cli("client", "edit", "A1", "--payment-method", "trueque")
    assert refused.exit_code == 1 and "is not one of cash, transfer, card, cheque" in refused.stderr


def test_ledger_import_reads_nd_and_nc_and_spanish_payment_methods(cli, tmp_path):
    cli.ok("client", "add", "--code", "A1", "--name", "Ana")
    path = tmp_path / "cc.csv"
    path.write_text("cliente;fecha;tipo;importe;referencia;forma de pago\n"
                    "A1;01/02/2020;ND;1.000,00;F-1;\n"
                    "A1;02/02/2020;NC;100,00;C-1;\n"
                    "A1;03/02/2020;Pago;300,00;R-1;Transferencia\n", encoding="utf-8")
    cli.ok("ledger", "import", str(path))
    rows = cli.json("ledger", "show", "A1")
    assert [(r["date"], r["debit"], r["credit"]) for r in rows] == [
        ("2020-02-01", "1000.00", None), ("2020-02-02", None, "100.00"), ("2020-02-03", None, "300.00")]
    assert rows[-1]["payment_method"] == "transfer" and rows[-1]["balance"] == "600.00"


def test_pay_by_method(cli):
    cli.ok("client", "add", "--code", "A1", "--name", "Ana")
    paid = cli.json("pay", "A1", "--amount", "1.500,00", "--method", "Transferencia", "--date", "02/03/2020")
    assert (paid["amount"], paid["balance"]) == ("1500.00", "-1500.00")
    assert cli.json("ledger", "show", "A1")[-1]["payment_method"] == "transfer"
    assert cli.json("ledger", "cash", "--date", "02/03/2020") == []          # a transfer is not in the cash box
    cli.ok("pay", "A1", "--amount", "200", "--method", "efectivo", "--date", "02/03/2020")
    assert [row["cash"] for row in cli.json("ledger", "cash", "--date", "02/03/2020")] == ["200.00"]
    for args, says in ((["--method", "cheque", "--amount", "5"], "--method cheque: give each cheque with --cheque"),
                       (["--method", "tarjeta", "--cash", "5"], "--method card: give the amount paid with --amount"),
                       (["--method", "trueque", "--amount", "5"], "--method 'trueque' is not one of cash")):
        refused = cli("pay", "A1", *args)
        assert refused.exit_code == 1 and says in refused.stderr, refused.stderr
    both = cli("pay", "A1", "--cash", "5", "--amount", "5")
    assert both.exit_code == 2 and "give the amount once" in both.stderr
    assert len(cli.json("ledger", "show", "A1")) == 2
