"""Reading import files, naming their columns, and the cell rules shared with exports."""

import re
import unicodedata

import pytest

from ispcube.domain.spreadsheet_safety import neutralise
from ispcube.domain.text import fold
from ispcube.errors import Invalid
from ispcube.services.imports.clients.check import cell_text
from ispcube.services.imports.clients.columns import field_for, map_columns
from ispcube.services.imports.read import detect_encoding, open_source


@pytest.mark.parametrize("data, encoding, mixed", [
    ("nombre\nJosé\n".encode("utf-8"), "utf-8-sig", False),
    ("\ufeffnombre\nJosé\n".encode("utf-8"), "utf-8-sig", False),
    ("nombre\nJosé\n€\n".encode("cp1252"), "cp1252", False),
    (b"nombre\nJos\xe9\n\x81\n", "latin-1", False),
    ("nombre\nJosé\n".encode("utf-8") + "Muñoz\n".encode("latin-1"), "utf-8-sig", True),
    (b"nombre\nPlain\n", "utf-8-sig", False),
])
def test_encoding_detection(tmp_path, data, encoding, mixed):
    path = tmp_path / "f.csv"
    path.write_bytes(data)
    found = detect_encoding(path)
    assert (found.name, found.mixed) == (encoding, mixed)


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiter_sniffed_from_the_header(tmp_path, delimiter):
    path = tmp_path / "f.csv"
    path.write_text(f"nombre{delimiter}domicilio\n\"Pérez, Juan\"{delimiter}\"Calle 1; piso 2\"\n\n", encoding="utf-8")
    with open_source(path) as source:
        rows = list(source.rows)
        assert (source.header, source.delimiter) == (["nombre", "domicilio"], delimiter)
    assert [(r.line, r.cells) for r in rows] == [(2, ["Pérez, Juan", "Calle 1; piso 2"])]


def test_line_numbers_count_physical_lines(tmp_path):
    path = tmp_path / "f.csv"
    path.write_text('name,address\n"Multi\nline",x\n\nB,y\n', encoding="utf-8")
    with open_source(path) as source:
        assert [r.line for r in source.rows] == [2, 5]


def test_empty_file_and_old_excel_refused(tmp_path):
    (tmp_path / "e.csv").write_text("\n\n")
    with pytest.raises(Invalid, match="empty"):
        open_source(tmp_path / "e.csv")
    (tmp_path / "o.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(Invalid, match=r"\.xls"):
        open_source(tmp_path / "o.xls")


@pytest.mark.parametrize("header, field", [
    ("Código Postal", "postal_code"), ("fiscal-address", "fiscal_address"), ("Fiscal address", "fiscal_address"),
    ("E-mail", "email"), ("ID number", "id_number"), ("DOCUMENTO", "id_number"), ("Teléfono", "phone"),
    ("Extra 1", "extra1"), ("Electronic payment code", "epayment_code"), ("nombre", "name"),
    ("colour", None),
])
def test_headers_name_fields(header, field):
    assert field_for(header) == field


def test_export_only_columns_are_skipped_and_named():
    mapped = map_columns(["Code", "Name", "Balance", "Locality", "Web password"], update=False)
    assert mapped.fields == ("code", "name", None, None, None)
    assert mapped.ignored == ("Balance", "Locality", "Web password")
    assert map_columns(["codigo", "telefono"], update=True).present == {"code", "phone"}


@pytest.mark.parametrize("value, inert", [
    ("=1+1", "'=1+1"), ("+54 9 11 5555", "'+54 9 11 5555"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1", "'\t=1"), ("\r=1", "'\r=1"), ("-34.6", "-34.6"), ("+10", "+10"), ("a=b", "a=b"), ("", ""),
    (5, 5), (None, None),
])
def test_neutralise_and_its_inverse(value, inert):
    assert neutralise(value) == inert
    if isinstance(value, str):
        assert cell_text(inert) == value


def _reference_fold(text):
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"\s+", " ", stripped.casefold()).strip()


def test_fast_fold_equals_the_plain_definition():
    samples = ["José  PÉREZ", "Ñandú\tÇedilla", "straße", "İstanbul", "ﬁn", "ǰ", "Ωmega", "ＡＢＣ", "x\u0327\u0301y",
               "Ø", "日本語", "a\u034fb", "Łódź"]
    samples += [chr(cp) + "é" for cp in range(0x20, 0x3000)]
    for text in samples:
        assert fold(text) == _reference_fold(text), repr(text)
