"""Document templates (D1, R7): operators' versions in the database, checked, sandboxed, offline."""

from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
import subprocess
import threading

import pytest
from sqlalchemy import create_engine, text

from ispcube.services.documents.templates import asset_dir

CUSTOM_RECEIPT = """{% extends "base" %}
{% block content %}
<p>COMPROBANTE PROPIO {{ receipt.number }} de {{ client.name }}: {{ receipt.total|money }}</p>
{% endblock %}
"""


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout


@pytest.fixture
def paid(cli):
    cli.ok("company", "add", "--number", "1", "--name", "Red Sur SRL", "--tax-id", "30-71234567-9")
    cli.ok("client", "add", "--code", "A1", "--name", "Juana Pérez", "--company", "1")
    cli.ok("pay", "A1", "--cash", "1500")
    return cli


def stored_receipt_versions(db_url: str) -> int:
    engine = create_engine(db_url)
    with engine.connect() as conn:
        count = conn.execute(text("SELECT COUNT(*) FROM document_templates")).scalar()
    engine.dispose()
    return count


def test_list_show_set_reset(paid, tmp_path):
    listed = paid.json("template", "list")
    assert [t["name"] for t in listed] == ["receipt", "listing", "invoice", "contract-1", "contract-2", "base", "style",
                                           "notice-throttled", "notice-cut", "notice-restored", "notice-preaviso",
                                           "notice-reminder", "notice-invoice", "notice-how-to-pay"]
    assert {t["source"] for t in listed} == {"default"}
    assert paid.ok("template", "show", "receipt").stdout == (asset_dir() / "receipt.html").read_text()
    (tmp_path / "mine.html").write_text(CUSTOM_RECEIPT)
    saved = paid.ok("--operator", "system", "template", "set", "receipt", str(tmp_path / "mine.html"))
    assert "template receipt saved" in saved.stdout
    row = paid.json("template", "list")[0]
    assert (row["source"], row["saved_by"]) == ("database", "system")
    assert paid.ok("template", "show", "receipt").stdout == CUSTOM_RECEIPT
    assert paid.ok("template", "show", "receipt", "--default").stdout.startswith("{% extends \"base\" %}")
    paid.ok("receipt", "print", "1", "--out", str(tmp_path / "r.pdf"))
    printed = pdf_text(tmp_path / "r.pdf")
    assert "COMPROBANTE PROPIO 1 de Juana Pérez: 1.500,00" in printed and "Red Sur SRL" in printed
    assert "reset to the default" in paid.ok("template", "reset", "receipt").stdout
    assert "already uses the default" in paid.ok("template", "reset", "receipt").stdout
    assert paid.json("template", "list")[0]["source"] == "default"
    paid.ok("receipt", "print", "1", "--out", str(tmp_path / "r2.pdf"))
    assert "COMPROBANTE PROPIO" not in pdf_text(tmp_path / "r2.pdf")


def test_template_from_stdin_and_shared_style(paid, tmp_path):
    css = (asset_dir() / "style.css").read_text() + "\n.words { color: #000; }\n"
    paid.ok("template", "set", "style", "-", input=css)
    assert paid.ok("template", "show", "style").stdout == css


@pytest.mark.parametrize("body, error", [
    ("<p>{{ client.name }</p>", "template receipt line 1: unexpected '}'"),
    ("{% extends \"base\" %}\n{% block content %}\n{% for x in receipt.cheques %}\n{% endblock %}",
     "template receipt line 4: Encountered unknown tag 'endblock'"),
    ("<p>\n\n{{ clientt.name }}</p>", "template receipt line 3: 'clientt' is undefined"),
    ("<p>{{ receipt.total / 0 }}</p>", "template receipt line 1: "),
])
def test_errors_refused_at_set_time_with_the_line(paid, tmp_path, db_url, body, error):
    (tmp_path / "bad.html").write_text(body)
    result = paid("template", "set", "receipt", str(tmp_path / "bad.html"))
    assert result.exit_code == 1 and result.stderr.startswith(f"ispcube: {error}")
    assert result.stderr.count("\n") == 1
    assert stored_receipt_versions(db_url) == 0


def test_error_in_base_names_base_and_its_line(paid, tmp_path):
    (tmp_path / "base.html").write_text("<html>\n<body>\n{{ company.nmae }}\n{% block content %}{% endblock %}")
    result = paid("template", "set", "base", str(tmp_path / "base.html"))
    assert result.exit_code == 1 and "template base line 3:" in result.stderr and "nmae" in result.stderr


HOSTILE = [
    ("{{ ''.__class__.__mro__ }}", "access to attribute '__class__' of 'str' object is unsafe"),
    ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "'__class__' of 'str' object is unsafe"),
    ("{{ cycler.__init__.__globals__.os.environ }}", "access to attribute '__init__'"),
    ("{{ joiner.__init__.__globals__['__builtins__']['open']('/etc/passwd').read() }}",
     "access to attribute '__init__'"),
    ("{{ self._TemplateReference__context }}", "'_TemplateReference__context'"),
    ("{{ lipsum.__globals__['os'].popen('id').read() }}", "'__globals__'"),
    ("{% include '/etc/passwd' %}", "'/etc/passwd' is not a template"),
    ("{% import '../../../../etc/passwd' as p %}", "'../../../../etc/passwd' is not a template"),
    ("{{ '{0.__class__.__init__.__globals__}'.format(client) }}", "is unsafe"),
    ("{{ receipt.cheques.append(1) }}", "unsafe"),
]


def test_hostile_templates_refused_and_nothing_leaks(cli, tmp_path, db_url, monkeypatch):
    monkeypatch.setenv("ISPCUBE_PROBE_SECRET", "probe-7f3a9")
    for body, why in HOSTILE:
        (tmp_path / "evil.html").write_text(f"<p>\n{body}\n</p>")
        result = cli("template", "set", "receipt", str(tmp_path / "evil.html"))
        assert result.exit_code == 1 and why in result.stderr, (body, result.stderr)
        assert "template receipt line 2" in result.stderr, (body, result.stderr)
        assert "root:" not in result.stderr + result.stdout and "probe-7f3a9" not in result.stderr + result.stdout
    assert stored_receipt_versions(db_url) == 0


class CountingServer:
    """A loopback HTTP server that counts every request it gets (there must be none)."""

    def __init__(self):
        hits = self.hits = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                hits.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "text/css")
                self.end_headers()
                self.wfile.write(b"p { color: red }")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def web():
    server = CountingServer()
    yield server
    server.close()


FETCHING = [
    '<img src="{url}/logo.png">',
    '<link rel="stylesheet" href="{url}/style.css">',
    '<style>@import url("{url}/import.css");</style>',
    '<style>p {{ background: url("{url}/bg.png") }}</style>',
    '<object data="{url}/doc.svg"></object>',
    '<img src="file:///etc/passwd">',
    '<img src="../../../../../../etc/hostname">',
]


def test_templates_that_fetch_are_refused_and_nothing_is_fetched(cli, tmp_path, db_url, web):
    for markup in FETCHING:
        (tmp_path / "fetch.html").write_text("<p>{{ client.name }}</p>" + markup.format(url=web.url))
        result = cli("template", "set", "receipt", str(tmp_path / "fetch.html"))
        assert result.exit_code == 1 and "never fetch from the network" in result.stderr, (markup, result.stderr)
    assert web.hits == [] and stored_receipt_versions(db_url) == 0


def _store_directly(db_url: str, name: str, body: str) -> None:
    """A version that never went through `template set` (written straight into the database)."""
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO document_templates (name, body, saved_at, operator) "
                          "VALUES (:n, :b, :t, 'intruder')"), {"n": name, "b": body, "t": datetime(2026, 1, 1)})
    engine.dispose()


def test_unchecked_version_still_cannot_fetch_or_escape(paid, tmp_path, db_url, web):
    _store_directly(db_url, "receipt", f'<p>{{{{ client.name }}}}</p><img src="{web.url}/x.png">'
                                       '<img src="file:///etc/passwd">')
    result = paid.ok("receipt", "print", "1", "--out", str(tmp_path / "r.pdf"))
    assert "Juana Pérez" in pdf_text(tmp_path / "r.pdf") and web.hits == []
    assert f"{web.url}/x.png was not fetched" in result.stderr and "file:///etc/passwd was not fetched" in result.stderr
    _store_directly(db_url, "receipt", "{{ ''.__class__.__mro__ }}")
    refused = paid("receipt", "print", "1", "--out", str(tmp_path / "r2.pdf"))
    assert refused.exit_code == 1 and "'__class__' of 'str' object is unsafe" in refused.stderr
    assert not (tmp_path / "r2.pdf").exists()


def test_unknown_template_and_bad_files(paid, tmp_path):
    unknown = paid("template", "show", "factura")
    assert unknown.exit_code == 1 and "template 'factura' does not exist" in unknown.stderr
    missing = paid("template", "set", "receipt", str(tmp_path / "nope.html"))
    assert missing.exit_code == 1 and "does not exist" in missing.stderr
    (tmp_path / "latin1.html").write_bytes("<p>año</p>".encode("latin-1"))
    latin = paid("template", "set", "receipt", str(tmp_path / "latin1.html"))
    assert latin.exit_code == 1 and "not UTF-8" in latin.stderr


def test_company_logo_is_embedded_and_a_missing_one_is_reported(paid, tmp_path):
    from PIL import Image  # WeasyPrint's own dependency
    logo = tmp_path / "logo.png"
    Image.new("RGB", (8, 4), "navy").save(logo)
    paid.ok("company", "edit", "1", "--logo-path", str(logo))
    paid.ok("receipt", "print", "1", "--out", str(tmp_path / "r.pdf"))
    images = subprocess.run(["pdfimages", "-list", str(tmp_path / "r.pdf")], capture_output=True, text=True).stdout
    assert len(images.strip().splitlines()) == 3   # two header lines, one image
    logo.unlink()
    result = paid.ok("receipt", "print", "1", "--out", str(tmp_path / "r2.pdf"))
    assert f"logo {logo} of company 1 does not exist; printed without it" in result.stderr
    assert "Juana Pérez" in pdf_text(tmp_path / "r2.pdf")
