"""The job worker as its own process (`manage.py jobs_worker`), killed half-way (contract §9).

An import of many rows is queued through the API of a real gunicorn; the worker is SIGKILLed
while it writes them (every row checked: `done == total`, still running), with its children. Nothing of the
import is in the database; reading the job finds its worker gone and queues it again; the
next worker writes every row. On SQLite with the database queue; in the PostgreSQL pass
(scripts/postgres.sh scripts/redis.sh) on PostgreSQL with RQ on Redis too.
"""

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time

import psycopg
import pytest

from .conftest import ROOT, clean_env, gunicorn, last_line, manage

ROWS = 40_000
DATABASE_URL = os.environ.get("DATABASE_URL", "")
REDIS_URL = os.environ.get("REDIS_URL", "")
ON_POSTGRES = DATABASE_URL.startswith(("postgres://", "postgresql://")) and bool(REDIS_URL)


def count_imported(database_url: str) -> int:
    sql = "SELECT count(*) FROM records_record WHERE app_id = 'events' AND record_id LIKE 'imp-%'"
    if database_url.startswith("sqlite:///"):
        with sqlite3.connect(database_url.removeprefix("sqlite:///")) as connection:
            return connection.execute(sql).fetchone()[0]
    with psycopg.connect(database_url) as connection:
        # The server's view of every row: with no caller the policies show none (§12).
        connection.execute("SELECT set_config('site.caller', '{\"trusted\": true}', false)")
        return connection.execute(sql).fetchone()[0]


@pytest.fixture(params=["sqlite", "postgres"])
def deployment(request, tmp_path):
    """(environment, database URL) of a migrated, seeded site: SQLite and the database queue,
    or PostgreSQL and RQ (only in the PostgreSQL pass), as docs/deploy.md's two roles: the
    worker and gunicorn run as the role owning no table, under the policies (§12)."""
    owner = {}
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
        extra = {}
    else:
        if not ON_POSTGRES:
            pytest.skip("PostgreSQL and Redis: run through scripts/postgres.sh scripts/redis.sh")
        roles = request.getfixturevalue("documented_roles")
        url, owner = roles.app_url, {"DATABASE_OWNER_URL": roles.owner_url}
        extra = {"REDIS_URL": re.sub(r"/\d*$", "", REDIS_URL) + "/2"}
    env = clean_env(
        DEBUG="0",
        SECRET_KEY="jobs-worker-test-key-" + "x" * 40,
        ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=url,
        SITE_DIR=ROOT,
        **owner,
        **extra,
    )
    assert manage("migrate", "--noinput", env=env).returncode == 0
    last_line(manage("seed_demo", env={**env, "DEBUG": "1"}))
    return env, url


def start_worker(env, log) -> subprocess.Popen:
    return subprocess.Popen(  # noqa: S603 - our own manage.py
        [sys.executable, str(ROOT / "manage.py"), "jobs_worker"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # RQ runs each job in a child (its "work horse"): kill both
    )


def wait_for(read, until, timeout: float = 180, every: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = read()
        if until(value):
            return value
        time.sleep(every)
    raise AssertionError(f"still {value} after {timeout} s")


def test_a_worker_killed_while_writing_leaves_nothing_and_the_job_runs_again(deployment, tmp_path):
    env, url = deployment
    token = last_line(manage("create_api_token", "alice", env=env))
    auth = {"Authorization": f"Bearer {token}"}
    content = "id,title,seats\n" + "".join(
        f"imp-{n},event {n},{n % 500 + 1}\n" for n in range(ROWS)
    )
    with (
        gunicorn(env, tmp_path / "gunicorn.log", workers=2) as server,
        (tmp_path / "worker.log").open("ab") as log,
    ):
        answer = server.post(
            "/api/v1/events/import", files={"file": ("events.csv", content)}, headers=auth
        )
        assert answer.status_code == 202, answer.text
        job_url = answer.headers["Location"]

        def job():
            return server.get(job_url, headers=auth).json()

        assert job()["state"] == "queued"
        worker = start_worker(env, log)
        try:
            # Every row checked, the job still running: the worker is writing them.
            wait_for(job, lambda j: j["state"] == "running" and j["done"] == j["total"] == ROWS)
            time.sleep(0.3)
            os.killpg(worker.pid, signal.SIGKILL)
        finally:
            worker.wait(timeout=30)
        assert count_imported(url) == 0
        # Reading the job finds its worker gone: queued again (a second attempt).
        assert job()["state"] == "queued"
        worker = start_worker(env, log)
        try:
            done = wait_for(job, lambda j: j["state"] in ("done", "failed"), every=0.5)
        finally:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=30)
    assert (done["state"], done["created"], done["problems"]) == ("done", ROWS, [])
    assert count_imported(url) == ROWS
