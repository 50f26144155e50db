"""The wheel holds what the source tree holds: every module of every subpackage, reveal.js's
files and explore's (a deck or a page is built from the installed package, not from a checkout)."""

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_wheel_holds_every_module_and_the_decks_assets(tmp_path):
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                        str(ROOT), "-w", str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    names = set(zipfile.ZipFile(next(tmp_path.glob("*.whl"))).namelist())
    source = {str(p.relative_to(ROOT)) for p in (ROOT / "nntopo").rglob("*.py")}
    assert source - names == set()
    for folder in ("deck/revealjs", "explorer/static"):  # reveal.js's files; nntopo explore's script and style
        assets = {str(p.relative_to(ROOT)) for p in (ROOT / "nntopo" / folder).rglob("*") if p.is_file()}
        assert assets and assets - names == set(), folder
