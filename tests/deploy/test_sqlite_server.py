"""The default SQLite database under a real gunicorn with several workers (contract §7).

Concurrent writers wait their turn (WAL, busy timeout, IMMEDIATE transactions) instead of
answering 500 "database is locked"; server errors go to standard error with their traceback.
"""

import sqlite3
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import pytest

from .conftest import ROOT, clean_env, gunicorn, last_line, manage

THREADS = 8
RECORDS_PER_THREAD = 15


def production_env(tmp_path, **values):
    return clean_env(
        DEBUG="0",
        SECRET_KEY="sqlite-server-test-key-" + "x" * 40,
        ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        SITE_DIR=ROOT,
        **values,
    )


@pytest.fixture(scope="module")
def sqlite_site(tmp_path_factory):
    """A migrated SQLite file with the demo users, alice's API token, and gunicorn on it."""
    tmp_path = tmp_path_factory.mktemp("sqlite-site")
    env = production_env(tmp_path)
    assert manage("migrate", "--noinput", env=env).returncode == 0
    last_line(manage("seed_demo", env={**env, "DEBUG": "1"}))
    token = last_line(manage("create_api_token", "alice", env=env))
    with gunicorn(env, tmp_path / "gunicorn.log", workers=4) as server:
        yield SimpleNamespace(server=server, token=token, db=tmp_path / "db.sqlite3")


def post_events(server, token, thread: int) -> list[tuple[int, str]]:
    answers = []
    for n in range(RECORDS_PER_THREAD):
        response = server.post(
            "/api/v1/events",
            json={"title": f"event {thread}-{n}", "seats": n + 1},  # seats: min 1
            headers={"Authorization": f"Bearer {token}"},
        )
        answers.append((response.status_code, response.headers.get("Content-Type", "")))
    return answers


def test_concurrent_api_writers_never_get_a_500(sqlite_site):
    server, token = sqlite_site.server, sqlite_site.token
    with ThreadPoolExecutor(THREADS) as pool:
        results = pool.map(lambda thread: post_events(server, token, thread), range(THREADS))
        answers = [answer for result in results for answer in result]
    statuses = sorted({status for status, _ in answers})
    assert statuses == [201], f"statuses: {statuses}\n{server.log_text()[-3000:]}"
    listed = server.get(
        "/api/v1/events/records?limit=1000", headers={"Authorization": f"Bearer {token}"}
    ).json()
    titles = {record["items"]["title"] for record in listed}
    expected = {f"event {t}-{n}" for t in range(THREADS) for n in range(RECORDS_PER_THREAD)}
    assert expected <= titles


def test_the_database_is_in_wal_mode(sqlite_site):
    with sqlite3.connect(sqlite_site.db) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_health_is_ok(sqlite_site):
    response = sqlite_site.server.get("/health/")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_a_server_error_is_logged_with_its_traceback_on_standard_error(tmp_path):
    # An empty database file (never migrated): every query fails with "no such table".
    env = production_env(tmp_path)
    log = tmp_path / "gunicorn.log"
    with gunicorn(env, log, workers=1) as server:
        page = server.get("/")
        api = server.get("/api/v1/events/records")
    assert page.status_code == 503
    assert page.headers["Retry-After"] == "2"
    assert api.status_code == 503
    assert api.json() == {"error": "the database is busy or unavailable; try again shortly"}
    text = log.read_text()
    assert " ERROR django.request [pid " in text
    assert "Service Unavailable: /\nTraceback (most recent call last):" in text
    assert "sqlite3.OperationalError: no such table" in text
    assert "Service Unavailable: /api/v1/events/records\nTraceback" in text
