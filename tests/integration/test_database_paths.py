"""A database path or URL that names the wrong thing is refused in one sentence, and the file
it names is left as it was (R12, R14)."""

import hashlib
from pathlib import Path

import pytest

from tests.conftest import Cli


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("content", [b"root:x:0:0:root:/root:/bin/bash\n", b"%PDF-1.4 a document\n"])
def test_a_file_that_is_not_a_database_is_never_opened(tmp_path, content):
    other = tmp_path / "passwd"
    other.write_bytes(content)
    other.chmod(0o644)
    before = _digest(other)
    result = Cli(str(other))("client", "list")
    assert result.exit_code == 1 and "is not a SQLite database" in result.stderr
    assert "chmod" not in result.stderr and result.stderr.count("\n") == 1
    assert _digest(other) == before and not Path(f"{other}-wal").exists()


def test_an_empty_file_is_not_taken_for_a_database_except_by_init(tmp_path):
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    result = Cli(str(empty))("client", "list")
    assert result.exit_code == 1 and "is an empty file, not a database" in result.stderr
    assert empty.stat().st_size == 0
    Cli(str(empty)).ok("init")
    Cli(str(empty)).ok("client", "list")


@pytest.mark.parametrize("url, driver", [
    ("postgresql+psycopg2://postgres@127.0.0.1:5432/postgres", "psycopg2"),
    ("postgresql+asyncpg://postgres:s3cret@127.0.0.1:5432/postgres", "asyncpg"),
    ("sqlite+aiosqlite:///{tmp}/isp.db", "aiosqlite"),
])
def test_an_unsupported_driver_is_one_sentence(tmp_path, url, driver):
    Cli(str(tmp_path / "isp.db")).ok("init")
    result = Cli(url.format(tmp=tmp_path))("client", "list")
    assert result.exit_code == 1 and f"driver '{driver}' is not supported" in result.stderr
    assert "s3cret" not in result.stderr and "Traceback" not in result.stderr and result.stderr.count("\n") == 1
