"""The wheel ships the default templates kept in the repository's top-level templates/ folder,
and an ispcube installed from it finds them (documents and notices)."""

import os
from pathlib import Path
import subprocess
import sys
import zipfile

import pytest

pytestmark = pytest.mark.slow   # builds the wheel

ROOT = Path(__file__).resolve().parents[2]


def test_an_installed_wheel_carries_and_finds_every_template(tmp_path):
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                            "--wheel-dir", str(tmp_path / "dist"), str(ROOT)], capture_output=True, text=True)
    assert built.returncode == 0, built.stderr[-2000:]
    (wheel,) = (tmp_path / "dist").glob("ispcube-*.whl")
    shipped = {Path(name).name for name in zipfile.ZipFile(wheel).namelist()
               if name.startswith("ispcube/templates/")}
    assert shipped == {p.name for p in (ROOT / "templates").iterdir()}

    target = tmp_path / "site"
    installed = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                                "--target", str(target), str(wheel)], capture_output=True, text=True)
    assert installed.returncode == 0, installed.stderr[-2000:]
    probe = ("import ispcube; from ispcube.services.documents import templates as t; "
             "print(ispcube.__file__); print(t.asset_dir()); "
             "print(all(t.default_body(name) for name in t.TEMPLATES))")
    shown = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=tmp_path,
                           env={**os.environ, "PYTHONPATH": str(target)})
    assert shown.returncode == 0, shown.stderr
    package, assets, every = shown.stdout.split("\n")[:3]
    assert package.startswith(str(target)) and assets == str(target / "ispcube" / "templates")
    assert every == "True"
