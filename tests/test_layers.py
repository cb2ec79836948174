"""The one-way layers of docs/architecture.md, held by import-linter (pyproject.toml).

site_config -> web -> records -> accounts -> site_model: each may import only the
ones to its right. The second test shows the contract has teeth: the same check on a copy of
the code with one reverse import added fails and names it.
"""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("site_config", "blocks", "records", "accounts")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(folder: Path) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own lint-imports, arguments fixed
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_layers_are_kept():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


def test_a_reverse_import_breaks_the_contract(tmp_path):
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    selectors = tmp_path / "records" / "selectors.py"
    selectors.write_text(selectors.read_text() + "\nfrom web import render  # noqa\n")

    result = lint_imports(tmp_path)

    assert result.returncode != 0
    assert "BROKEN" in result.stdout
    assert "records.selectors -> blocks.render" in result.stdout
