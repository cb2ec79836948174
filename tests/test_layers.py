"""The one-way layers of docs/architecture.md, held by import-linter (pyproject.toml).

site_config -> web | api -> blocks -> records -> accounts -> site_model: each may import only
the ones to its right; `web` and `api` are siblings that never import each other. The
parametrised test shows the contract has teeth: for every pair of layers, the same check on a
copy of the code with one import the wrong way added fails and names it.
"""

import shutil
import subprocess
import sys
from itertools import combinations
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
# Top to bottom; a tuple is one layer of independent siblings.
LAYERS = ["site_config", ("web", "api"), "blocks", "records", "accounts", "site_model"]
# A module of each package for the reverse import to name.
TARGET = {
    "site_config": "site_config.urls",
    "web": "web.views",
    "api": "api.views",
    "blocks": "blocks.context",
    "records": "records.store",
    "accounts": "accounts.identity",
    "site_model": "site_model.loader",
}


def levels() -> list[tuple[str, ...]]:
    return [layer if isinstance(layer, tuple) else (layer,) for layer in LAYERS]


def forbidden_imports() -> list[tuple[str, str]]:
    """(importer, imported): every lower layer importing a higher one, and sibling to sibling."""
    pairs = []
    for high, low in combinations(levels(), 2):
        pairs += [(lower, higher) for lower in low for higher in high]
    for level in levels():
        pairs += [(a, b) for a in level for b in level if a != b]
    return pairs


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
    assert "ignored imports" not in result.stdout  # no exceptions to the contract


def test_every_package_is_in_the_contract():
    packages = {path.parent.name for path in ROOT.glob("*/__init__.py")}
    assert packages - {"tests", "bench"} == set(TARGET)


@pytest.mark.parametrize(("importer", "imported"), forbidden_imports())
def test_a_reverse_import_breaks_the_contract(tmp_path, importer, imported):
    for package in TARGET:
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    init = tmp_path / importer / "__init__.py"
    init.write_text(init.read_text() + f"\nimport {TARGET[imported]}  # noqa\n")

    result = lint_imports(tmp_path)

    assert result.returncode != 0
    assert "BROKEN" in result.stdout
    assert f"{importer} -> {TARGET[imported]}" in result.stdout
