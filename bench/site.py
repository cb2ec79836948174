"""check_site on the demo, and the site's reload after an edit: this code against another
branch's (default `layout`), in one run.

The other branch's code is exported (`git archive`) into a temporary folder; both codes read
the same copy of this checkout's demo site. Each round runs one process per code, one after
the other, so that both see the same machine load; each process times `check_site` with an
empty cache (every file parsed) and the rebuild after one block's YAML is saved (one file
re-parsed, the others from the cache), and prints its medians. Times are the process's CPU time
(`time.process_time`), so that other processes on a shared machine weigh less on the ratio. The figure is the median over
the rounds, and the ratio this / other (goal: at most 1.10). The Python function calls of one
check_site and one reload are counted too: the work done, which a busy machine does not blur.

    .venv/bin/python bench/site.py [--against layout] [--rounds 5] [--runs 30]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
DEMO_PARTS = ("settings.yaml", "pages", "apps")
EDITED = "apps/rating/blocks/rate.yaml"


def measure(code: Path, site: Path, runs: int) -> dict[str, float]:
    """Run inside a process whose imports come from `code`: milliseconds, median of `runs`."""
    sys.path.insert(0, str(code))
    os.environ.update(SITE_DIR=str(site), SECRET_KEY="bench-only", DEBUG="0", LOG_LEVEL="ERROR")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "site_config.settings")
    import django

    django.setup()
    import site_model

    assert Path(site_model.__file__).is_relative_to(code), site_model.__file__
    from django.core.management import call_command

    from site_model.loader import current_site, reset_cache

    def check_site() -> float:
        reset_cache()
        start = time.process_time()
        try:
            call_command("check_site", stdout=io.StringIO(), stderr=io.StringIO())
        except SystemExit:
            pass
        return time.process_time() - start

    edited = site / EDITED

    def reload_after_edit() -> float:
        current_site()
        stat = edited.stat()
        os.utime(edited, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
        start = time.process_time()
        current_site()
        return time.process_time() - start

    check_site(), reload_after_edit()  # warm imports
    return {
        "check_site_ms": 1000 * statistics.median(check_site() for _ in range(runs)),
        "reload_ms": 1000 * statistics.median(reload_after_edit() for _ in range(runs)),
        "check_site_calls": calls(check_site),
        "reload_calls": calls(reload_after_edit),
    }


def calls(action) -> int:
    """Python function calls of one `action`: the work done, whatever the machine's load."""
    profile = cProfile.Profile()
    profile.enable()
    action()
    profile.disable()
    return pstats.Stats(profile).total_calls


def export(branch: str, into: Path) -> Path:
    """The code of `branch`, as files (no worktree, no change to the repository)."""
    archive = subprocess.run(  # noqa: S603 - our own arguments
        ["git", "-C", str(HERE), "archive", branch],  # noqa: S607 - the git on PATH
        check=True,
        capture_output=True,
    ).stdout
    into.mkdir()
    tar = ["tar", "-x", "-C", str(into)]
    subprocess.run(tar, input=archive, check=True)  # noqa: S603, S607 - ours, the tar on PATH
    return into


def run_one(code: Path, site: Path, runs: int) -> dict[str, float]:
    result = subprocess.run(  # noqa: S603 - this Python, our own arguments
        [sys.executable, __file__, "--measure", str(code), str(site), str(runs)],
        check=True,
        capture_output=True,
        text=True,
        cwd=code,
    )
    return json.loads(result.stdout.splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", default="layout")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-site-") as tmp:
        site = Path(tmp) / "site"
        site.mkdir()
        for part in DEMO_PARTS:
            copy = shutil.copytree if (HERE / part).is_dir() else shutil.copy
            copy(HERE / part, site / part)
        other = export(args.against, Path(tmp) / args.against)
        found: dict[str, list[dict[str, float]]] = {"this": [], args.against: []}
        for _ in range(args.rounds):
            found["this"].append(run_one(HERE, site, args.runs))
            found[args.against].append(run_one(other, site, args.runs))
    medians = {
        code: {key: statistics.median(r[key] for r in rounds) for key in rounds[0]}
        for code, rounds in found.items()
    }
    for key in medians["this"]:
        this, before = medians["this"][key], medians[args.against][key]
        print(
            f"{key:16} this {this:10.2f}  {args.against} {before:10.2f}  ratio {this / before:.3f}"
        )


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--measure":
        code, site, runs = Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4])
        print(json.dumps(measure(code, site, runs)))
    else:
        main()
