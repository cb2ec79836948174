"""Each benchmark in bench/ still runs, on the engine of this run, at a size too small to
measure anything: they run outside `make test` (docs/architecture.md), so nothing else would
notice one broken by a change elsewhere. bench/api.py was: its plain views read nothing on
PostgreSQL once the records table's policies were forced (contract §12), and it stopped at
its first case for a session."""

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent

SMALL_RUNS = {
    "api.py": [
        "--records", "300", "--seconds", "0.02", "--batches", "1",
        "--field-records", "40", "--field-batches", "1",
    ],
    "search.py": ["--small", "200", "--large", "400", "--repeat", "1"],
    "fields.py": ["--records", "40", "--batches", "1", "--batch", "2"],
    "history.py": ["--records", "200", "--batches", "1", "--bulk", "2"],
    "data.py": ["--records", "300", "--repeat", "1"],
}  # fmt: skip


def environment_of(script: str) -> dict[str, str]:
    """The run's environment, with a database name of the benchmark's own on PostgreSQL: a
    benchmark makes Django's test database of DATABASE_URL's name (`test_<name>`), which is
    this run's own, and drops it when it ends."""
    env = os.environ.copy()
    url = env.get("DATABASE_URL")
    if url:
        env["DATABASE_URL"] = urlunsplit(urlsplit(url)._replace(path=f"/bench_{script[:-3]}"))
    return env


@pytest.mark.parametrize("script", sorted(SMALL_RUNS))
def test_the_benchmark_runs_to_its_end(script):
    done = subprocess.run(  # noqa: S603 - our own scripts, our own arguments
        [sys.executable, str(ROOT / "bench" / script), *SMALL_RUNS[script]],
        cwd=ROOT,
        env=environment_of(script),
        capture_output=True,
        text=True,
        timeout=600,
    )
    said = done.stdout[-3000:] + done.stderr[-3000:]
    # A benchmark may exit 1 for a goal it misses (bench/data.py), never on an exception.
    assert "Traceback" not in done.stderr, said
    assert done.returncode in (0, 1) and done.stdout.strip(), said


def test_the_run_keeps_its_own_database_after_the_benchmarks(db, django_user_model):
    """Runs after the benchmarks (file order): the suite's test database is still there."""
    django_user_model.objects.create_user("after-benchmarks")
    assert django_user_model.objects.filter(username="after-benchmarks").exists()
