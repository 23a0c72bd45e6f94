"""`client list --search` answered from an index on both backends (C3, P2), with exactly the
meaning of a substring of the folded search text, whatever the term holds, and an SQLite
index that follows every write to a client."""

import shutil
import sqlite3

import pytest
from sqlalchemy import text

from ispcube.db.engine import get_engine
from ispcube.db.search_index import has_search_index
from ispcube.domain.text import fold
from ispcube.services.clients.query import ClientFilter, filtered_select
from ispcube.services.process.runtime import Runtime
from tests.conftest import Cli

NAMES = {
    "S1": "Núñez Gómez", "S2": "50% off", "S3": "a_b c", "S4": "star*x", "S5": "que? quizá",
    "S6": "[corchete] abierto", "S7": 'comillas "dobles"', "S8": "O'Brien", "S9": "Ab Cd",
    "S10": "glob [*?] todo", "S11": "MUÑOZ ÑANDÚ", "S12": "Иван Петров", "S13": "Søren [ØK] Nørgaard",
    "S14": "€*abcd", "S15": "Straße Groß",
}
TERMS = ["núñez", "NUNEZ", "nu", "n", "50%", "% o", "a_b", "_", "r*x", "*", "que?", "?", "[corchete]",
         "[", "]", '"dobles"', '"', "o'brien", "'", "ab cd", "b c", "[*?]", "munoz nandu", "ñandú",
         "zzz", "  gómez  ", "s1", "s1 ", "s10", "иван петров", "ив*петров", "ан?петров", "[øk", "[øk]",
         "€*abcd", "€[*]abcd", "петров", "strasse", "straße", "gross", "*" * 20000]


def sqlite_path(url: str) -> str:
    return url.removeprefix("sqlite:///")


def fts5_here() -> bool:
    with sqlite3.connect(":memory:") as conn:
        options = {row[0] for row in conn.execute("PRAGMA compile_options")}
        return "ENABLE_FTS5" in options and sqlite3.sqlite_version_info >= (3, 34)


needs_fts5 = pytest.mark.skipif(not fts5_here(), reason="this SQLite library has no FTS5 trigram tokenizer")


def add_named(cli: Cli) -> Cli:
    for code, name in NAMES.items():
        cli.ok("client", "add", "--code", code, "--name", name, "--address", f"Calle {code}")
    return cli


@pytest.fixture
def named(cli):
    return add_named(cli)


@pytest.fixture
def sqlite_url(tmp_path, sqlite_template):
    path = tmp_path / "ispcube.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def sqlite_named(sqlite_url):
    return add_named(Cli(sqlite_url))


@pytest.fixture
def sqlite_runtime(sqlite_url):
    return Runtime(engine=get_engine(sqlite_url))


def expected(runtime, term: str) -> list[str]:
    """The oracle: clients whose stored search text holds the folded term."""
    with runtime.engine.connect() as conn:
        stored = conn.execute(text("SELECT code, search_text FROM clients WHERE deleted = :no"), {"no": False}).all()
    return sorted(code for code, search in stored if fold(term) in search)


def found(cli, term: str) -> list[str]:
    return sorted(c["code"] for c in cli.json("client", "list", "--search", term))


def check_index(url: str) -> None:
    """FTS5's own check that the index holds exactly the clients' search texts."""
    with sqlite3.connect(sqlite_path(url)) as conn:
        # rank 1: also compare the index with the clients' text (external content)
        conn.execute("INSERT INTO client_search (client_search, rank) VALUES ('integrity-check', 1)")


def test_search_means_a_substring_of_the_folded_text_whatever_the_term_holds(named, runtime):
    for term in TERMS:
        assert found(named, term) == expected(runtime, term), term
    assert found(named, "núñez") == ["S1"] and found(named, "[*?]") == ["S10"]


@needs_fts5
def test_sqlite_search_reads_the_index_not_the_table(sqlite_named, sqlite_runtime):
    runtime = sqlite_runtime
    with runtime.uow() as uow:
        conn = uow.session.connection()
        assert has_search_index(conn)
        for term, uses_index in (("gómez", True), ("петров", True), ("[*?]", False), ("ab", False)):
            query = filtered_select(conn, ClientFilter(search=term), runtime.actor(uow))
            compiled = query.compile(conn)
            plan = " | ".join(row[-1] for row in conn.exec_driver_sql(
                f"EXPLAIN QUERY PLAN {compiled}", tuple(compiled.params[name] for name in compiled.positiontup)))
            assert ("VIRTUAL TABLE INDEX" in plan and "client_search" in plan) is uses_index, (term, plan)


@pytest.mark.pg
def test_postgresql_search_can_read_the_trigram_index(pg_database):
    from ispcube.db.engine import get_engine
    with get_engine(pg_database).connect() as conn:
        conn.execute(text("SET enable_seqscan = off"))
        plan = " ".join(row[0] for row in conn.execute(text(
            "EXPLAIN SELECT id FROM clients WHERE search_text LIKE '%gomez%'")))
    assert "ix_clients_search_text_trgm" in plan


@needs_fts5
def test_sqlite_index_follows_every_write(sqlite_named, sqlite_runtime, sqlite_url, tmp_path):
    named, runtime = sqlite_named, sqlite_runtime
    named.ok("client", "edit", "S1", "--name", "Ibáñez Rivas")
    assert found(named, "nunez") == [] and found(named, "ibanez") == ["S1"]
    named.ok("-y", "client", "delete", "S2")
    assert found(named, "50%") == []
    deleted = named.json("client", "list", "--deleted")[0]["code"]
    named.ok("client", "restore", deleted, "--code", "S2B")
    assert found(named, "s2b") == ["S2B"] and found(named, "50%") == ["S2B"]
    update = tmp_path / "update.csv"
    update.write_text("code,name\nS3,Zapata Uno\nS20,Nuevo Veinte\n", encoding="utf-8")
    named.ok("client", "import", "--update", str(update))
    assert found(named, "zapata") == ["S3"] and found(named, "a_b") == [] and found(named, "veinte") == ["S20"]
    with runtime.engine.begin() as conn:         # a write from outside ispcube is indexed too
        conn.execute(text("UPDATE clients SET search_text = 'otro texto s4' WHERE code = 'S4'"))
    assert found(named, "otro texto") == ["S4"]
    for term in TERMS + ["ibanez", "zapata", "veinte"]:
        assert found(named, term) == expected(runtime, term), term
    check_index(sqlite_url)


@needs_fts5
def test_sqlite_without_the_index_search_reads_the_table(sqlite_named, sqlite_runtime, sqlite_url):
    """A database built by a SQLite without FTS5 has no index: the same answers, by a scan."""
    named, runtime = sqlite_named, sqlite_runtime
    runtime.engine.dispose()
    with sqlite3.connect(sqlite_path(sqlite_url)) as conn:
        for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' "
                                    "AND name LIKE 'clients_search_%'").fetchall():
            conn.execute(f"DROP TRIGGER {name}")
        conn.execute("DROP TABLE client_search")
    named.ok("client", "add", "--code", "S30", "--name", "Sin Indice")
    for term in TERMS + ["sin indice"]:
        assert found(named, term) == expected(runtime, term), term


@needs_fts5
def test_sqlite_index_without_its_triggers_is_not_trusted(sqlite_named, sqlite_runtime, sqlite_url):
    """An index whose triggers were dropped (a careless migration) goes stale: it is not used."""
    named, runtime = sqlite_named, sqlite_runtime
    runtime.engine.dispose()
    with sqlite3.connect(sqlite_path(sqlite_url)) as conn:
        conn.execute("DROP TRIGGER clients_search_update")
        conn.execute("UPDATE clients SET search_text = 's1 cambiado' WHERE code = 'S1'")
    assert found(named, "cambiado") == ["S1"] and found(named, "nunez") == []
