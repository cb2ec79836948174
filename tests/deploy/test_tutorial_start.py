"""docs/tutorial.md's first command, run as written: `make run` on a site folder and database of
the tutorial's own, leaving the demo's (the checkout's db.sqlite3) alone."""

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import requests

from .conftest import ROOT, clean_env, free_port

TUTORIAL = ROOT / "docs" / "tutorial.md"


def start_command() -> str:
    """The one shell line of the tutorial that runs `make run` with its own folder and database."""
    [line] = [
        line.strip()
        for block in re.findall(r"^```sh\n(.*?)^```", TUTORIAL.read_text(), re.M | re.S)
        for line in block.splitlines()
        if line.strip().endswith("make run")
    ]
    return line


def test_the_tutorial_starts_with_its_own_folder_and_database(tmp_path):
    command = start_command()
    assert "SITE_DIR=" in command and "DATABASE_URL=" in command
    demo_db = ROOT / "db.sqlite3"
    demo_stamp = demo_db.stat().st_mtime_ns if demo_db.exists() else None
    port = free_port()
    # `make run` as the tutorial says, with $HOME a fresh folder; the checkout's install and
    # .env are taken as done (-o), so the test neither installs packages nor writes a .env.
    shell = command.replace("make run", f"make -o .venv/.installed -o .env run PORT={port}")
    env = clean_env(HOME=tmp_path, SECRET_KEY="k" * 50)
    log = tmp_path / "make.log"
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - the tutorial's own command line
            ["bash", "-c", shell],  # noqa: S607
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # runserver's reloader is a child: stop the whole group
        )
    try:
        before = wait_for(f"http://127.0.0.1:{port}/", process, log)
        assert session_processes(process.pid, "jobs_worker"), "make run starts no job worker"
        [site] = [path for path in tmp_path.iterdir() if path.is_dir()]
        (site / "settings.yaml").write_text("title: Likes\n")  # the tutorial's step 1
        (site / "pages").mkdir()
        (site / "pages" / "index.yaml").write_text("title: Home\n")
        home = requests.get(f"http://127.0.0.1:{port}/", timeout=10)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
    assert not session_processes(process.pid, "jobs_worker"), "the job worker outlived make run"
    assert before.status_code == 404  # an empty folder: no home page yet, not the demo's
    assert home.status_code == 200
    assert "<title>Home" in home.text and "Likes" in home.text
    assert (site / "db.sqlite3").is_file(), log.read_text()
    assert (demo_db.stat().st_mtime_ns if demo_db.exists() else None) == demo_stamp


def session_processes(session: int, word: str) -> list[int]:
    """Processes of the session `session` whose command line holds `word` (not zombies)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if os.getsid(int(entry.name)) != session:
                continue
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            if state != "Z" and word in (entry / "cmdline").read_bytes().decode(errors="replace"):
                found.append(int(entry.name))
        except (OSError, ProcessLookupError):
            continue
    return found


def wait_for(url: str, process: subprocess.Popen, log: Path, timeout: float = 90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"make run exited with {process.returncode}:\n{log.read_text()}")
        try:
            return requests.get(url, timeout=10)
        except requests.ConnectionError:
            time.sleep(0.3)
    raise RuntimeError(f"make run did not answer within {timeout} s:\n{log.read_text()}")
