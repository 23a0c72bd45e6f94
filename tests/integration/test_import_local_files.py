"""Imports from another system's export as it comes (U1, U2, U4): Spanish headers, Latin-1,
semicolons, dd/mm/yyyy dates, decimal commas, two phone and two e-mail columns joined, a notes
column that becomes management notes, columns set aside with --ignore-column, and a --report
file that a second dry run replaces while a file ispcube did not write is kept."""

import csv

CLIENTS = ("Código;Nombre;Domicilio;Teléfono;Celular;Email;Mail alternativo;Fecha de alta;Observaciones;"
           "Vendedor viejo\n"
           "C1;José Muñoz;Belgrano 1450;(02255) 46-1950;+54 9 11 4555-1234;jose@example.com;jm@example.org;"
           "05/03/2019;Cliente desde el sistema viejo;Pérez\n"
           "C2;Ana Peña;Mitre 20;011 4555-1234 int 23;;;;7/3/19;;Gómez\n")
LEDGER = ("Cliente;Fecha;Tipo;Importe;Referencia;Sucursal\n"
          "C1;01/02/2020;Saldo inicial;1.234,56;S-1;Centro\n"
          "C1;03/02/2020;ND;500,00;ND-7;Centro\n"
          "C2;03/02/2020;Saldo inicial;-100,50;S-2;Norte\n"
          "C1;04/02/2020;NC;34,56;NC-1;Centro\n")
PAYMENTS = ("Fecha;Importe;Referencia;Cliente;Medio de pago;Estado\n"
            "06/02/2020;1.000,00;MP-1;C1;Mercado Pago;aprobado\n")


def _latin1(path, text):
    path.write_bytes(text.encode("latin-1"))
    return path


def test_a_spanish_latin1_export_moves_in_as_written(cli, tmp_path):
    clients = _latin1(tmp_path / "clientes.csv", CLIENTS)
    refused = cli("client", "import", str(clients))
    assert refused.exit_code == 1 and "'Vendedor viejo' (column 10) is not a client field" in refused.stderr
    missing = cli("client", "import", str(clients), "--ignore-column", "vendedor nuevo")
    assert missing.exit_code == 1 and "--ignore-column 'vendedor nuevo': the file has no such column" in missing.stderr
    done = cli.json("client", "import", str(clients), "--ignore-column", "vendedor viejo")
    assert (done["new"], done["encoding"], done["ignored_columns"]) == (2, "cp1252", ["Vendedor viejo"])
    jose = cli.json("client", "show", "C1")
    assert (jose["name"], jose["signup_date"]) == ("José Muñoz", "2019-03-05")
    assert jose["phones"] == ["02255 46-1950", "+54 9 11 4555-1234"]
    assert jose["emails"] == ["jose@example.com", "jm@example.org"]
    assert [(n["author"], n["text"]) for n in jose["last_notes"]] == [("system", "Cliente desde el sistema viejo")]
    ana = cli.json("client", "show", "C2")
    assert (ana["phones"], ana["emails"], ana["signup_date"], ana["last_notes"]) == (
        ["011 4555-1234 ext 23"], [], "2019-03-07", [])

    ledger = _latin1(tmp_path / "cuentas.csv", LEDGER)
    cli.ok("ledger", "import", str(ledger), "--ignore-column", "Sucursal")
    assert cli.json("client", "show", "C1")["balance"] == "1700.00"
    assert cli.json("client", "show", "C2")["balance"] == "-100.50"
    kinds = [(row["date"], row["debit"], row["credit"]) for row in cli.json("ledger", "show", "C1")]
    assert kinds[1:] == [("2020-02-03", "500.00", None), ("2020-02-04", None, "34.56")]

    payments = _latin1(tmp_path / "cobros.csv", PAYMENTS)
    paid = cli.json("payments", "import", str(payments), "--file-format", "csv", "--source", "mercadopago",
                    "--ignore-column", "Estado")
    assert [(p["client"], p["amount"]) for p in paid["receipts"]] == [("C1", "1000.00")]
    assert cli.json("ledger", "show", "C1")[-1]["payment_method"] == "mercadopago"
    assert cli.json("client", "show", "C1")["balance"] == "700.00"


def test_connections_take_ignore_column_too(cli, tmp_path):
    cli.ok("router", "add", "core", "--kind", "mikrotik", "--host", "10.9.0.1")
    cli.ok("client", "add", "--code", "C1", "--name", "José")
    path = _latin1(tmp_path / "conexiones.csv", "Cliente;Router;IP;Antena vieja\nC1;core;10.0.0.9;Rocket M5\n")
    assert "'Antena vieja' (column 4)" in cli("connection", "import", str(path)).stderr
    cli.ok("connection", "import", str(path), "--ignore-column", "ANTENA VIEJA")
    assert [c["ip"] for c in cli.json("connection", "list")] == ["10.0.0.9"]


def test_the_dry_run_until_clean_loop_replaces_its_own_report(cli, tmp_path):
    clients = _latin1(tmp_path / "clientes.csv", CLIENTS.replace("05/03/2019", "31/02/2019"))
    report = tmp_path / "problemas.csv"
    for _ in range(2):                  # the second dry run replaces the first one's report, without --yes
        run = cli("client", "import", str(clients), "--dry-run", "--ignore-column", "Vendedor viejo",
                  "--report", str(report))
        assert run.exit_code == 1, run.stderr
        rows = list(csv.reader(report.open(encoding="utf-8")))
        assert rows[0] == ["line", "column", "value", "reason"] and rows[1][:3] == ["2", "Fecha de alta", "31/02/2019"]
    theirs = tmp_path / "planilla.csv"
    theirs.write_text("codigo,nombre\nX1,No es nuestro\n", encoding="utf-8")
    kept = cli("client", "import", str(clients), "--dry-run", "--ignore-column", "Vendedor viejo",
               "--report", str(theirs))
    assert kept.exit_code == 2 and "already exists" in kept.stderr
    assert theirs.read_text(encoding="utf-8") == "codigo,nombre\nX1,No es nuestro\n"
    payments = _latin1(tmp_path / "cobros.csv", PAYMENTS)
    payment_report = tmp_path / "cobros-informe.csv"
    for _ in range(2):                  # no client C1 here: unmatched (exit 3), reported, and the report replaced
        run = cli("payments", "import", str(payments), "--file-format", "csv", "--source", "mercadopago",
                  "--dry-run", "--report", str(payment_report))
        assert run.exit_code == 3 and "no client has code 'C1'" in run.stderr, run.stderr
    assert payment_report.read_text(encoding="utf-8").startswith("where,date,amount")
