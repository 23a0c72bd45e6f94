"""The guides under docs/ open with commands to copy: each opening block is run as a user runs it,
with bash in an empty folder, against a copy of one demo database, and must exit 0."""

import os
from pathlib import Path
import re
import shutil
import socket
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow   # the demo and every guide's commands, as separate processes

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
GUIDES = ["migrating", "operations", "collecting", "escalation", "field", "configuration",
          "performance", "development"]
FENCE = re.compile(r"^```(sh[^\n]*)\n(.*?)^```", re.S | re.M)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# The port a guide's own simulated router listens on: each run takes a free one instead, so two
# runs at once (or another test's simulator) never meet on it.
GUIDE_PORT = "18729"


def opening_blocks(guide: str) -> list[tuple[str, str]]:
    """The fenced blocks before the guide's first section, with their info string."""
    text = (ROOT / "docs" / f"{guide}.md").read_text(encoding="utf-8")
    opening = text.split("\n## ", 1)[0]
    return [(info.strip(), body) for info, body in FENCE.findall(opening)]


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    built = subprocess.run([str(BIN / "ispcube"), "demo", "--path", str(folder / "isp.db"),
                            "--clients", "30", "--today", "2027-01-20"],
                           capture_output=True, text=True, timeout=300, cwd=folder)
    assert built.returncode == 0, built.stdout + built.stderr
    return folder / "isp.db"


def test_every_guide_is_linked_from_the_readme_and_opens_with_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for guide in GUIDES:
        assert f"(docs/{guide}.md)" in readme, guide
        text = (ROOT / "docs" / f"{guide}.md").read_text(encoding="utf-8")
        assert re.match(r"# [^\n]+\n\n[^\n]+\n\n```sh", text), f"{guide}.md does not open with commands"
    assert "make demo" in readme and "make test" in readme


@pytest.mark.parametrize("guide", GUIDES)
def test_the_opening_commands_of_each_guide_run(guide, demo, tmp_path):
    blocks = opening_blocks(guide)
    assert blocks, f"docs/{guide}.md has no opening command block"
    runnable = [body for info, body in blocks if info == "sh"]
    if not runnable:
        assert all(info == "sh no-run" for info, _ in blocks)
        pytest.skip(f"docs/{guide}.md says its commands are not run here")
    db = tmp_path / "isp.db"
    shutil.copy(demo, db)
    work = tmp_path / "work"
    work.mkdir()
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "ISPCUBE_DATABASE_URL": str(db),
           "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    env.pop("ISPCUBE_CONFIG", None)
    port = str(_free_port())
    moved = subprocess.run([str(BIN / "ispcube"), "router", "edit", "demo-core", "--port", port], env=env,
                           capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60)
    assert moved.returncode == 0, moved.stderr     # the demo's router, clear of any other run's
    for body in (body.replace(GUIDE_PORT, port) for body in runnable):
        ran = subprocess.run(["bash", "-e", "-c", body], cwd=work, env=env, capture_output=True, text=True,
                             stdin=subprocess.DEVNULL, timeout=120)
        assert ran.returncode == 0, f"docs/{guide}.md:\n{body}\nexit {ran.returncode}\n{ran.stdout}\n{ran.stderr}"
