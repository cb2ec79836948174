"""A fresh clone, as a newcomer sees it: what git ignores, what the files name exists."""

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("name", ["db.sqlite3", "db.sqlite3-wal", "db.sqlite3-shm", ".env"])
def test_the_development_database_and_env_are_ignored(name):
    ignored = subprocess.run(  # noqa: S603 - git with fixed arguments
        ["git", "check-ignore", "--no-index", "-q", name],  # noqa: S607
        cwd=ROOT,
        check=False,
    )
    assert ignored.returncode == 0, f"{name} is not in .gitignore"


def test_every_script_requirements_txt_names_exists():
    named = re.findall(r"scripts/[\w.-]+", (ROOT / "requirements.txt").read_text())
    assert named
    assert [name for name in named if not (ROOT / name).is_file()] == []
