"""Every environment variable the code reads is listed in the root `--help` and in docs/configuration.md."""

from pathlib import Path
import re

from typer.testing import CliRunner

from ispcube.environment import VARIABLES

ROOT = Path(__file__).resolve().parents[2]
READS = [re.compile(r"""os\.environ(?:\.get)?[\[(]\s*["']([A-Z][A-Z0-9_]+)["']"""),
         re.compile(r"""envvar\s*=\s*["']([A-Z][A-Z0-9_]+)["']"""),
         re.compile(r"""config_file\.value\(\s*["'][a-z_]+["']\s*,\s*["']([A-Z][A-Z0-9_]+)["']"""),
         re.compile(r"""\$\{([A-Z][A-Z0-9_]+)[:}]""")]


def variables_read() -> set[str]:
    found = set()
    sources = [*(ROOT / "src").rglob("*.py"), *(ROOT / "jobs").iterdir()]
    for source in sources:
        text = source.read_text(encoding="utf-8")
        for pattern in READS:
            found.update(pattern.findall(text))
    return found


def test_the_scan_finds_what_the_code_reads():
    found = variables_read()
    assert {"ISPCUBE_GEOCODING_URL", "STRIPE_API_KEY", "GOOGLE_MAPS_API_KEY", "ISPCUBE_LOG_DIR",
            "ISPCUBE_DATABASE_URL", "ISPCUBE_CONFIG"} <= found


def test_every_variable_read_is_listed():
    listed = {name for name, _ in VARIABLES}
    assert variables_read() - listed == set()


def test_root_help_and_readme_name_every_variable():
    from ispcube.cli.main import app
    shown = CliRunner().invoke(app, ["--help"]).stdout
    readme = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    for name, meaning in VARIABLES:
        assert re.search(rf"^\s+{name}\s+{re.escape(meaning)}$", shown, re.M), name
        assert f"| `{name}` |" in readme, name
    assert max(len(line) for line in shown.splitlines()) <= 80
