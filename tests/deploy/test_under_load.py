"""The production set-up under load and faults (contract §7; issue 13).

gunicorn with 3 workers serves a copy of the demo site with the production settings (DEBUG
off, PostgreSQL, Redis); Locust drives a mixed load for LOAD_SECONDS (tests/deploy/locustfile.py)
while this test SIGKILLs one worker and restarts PostgreSQL once. Then it checks:
- every write answered 2xx is in the database with its content (0 lost acknowledged writes);
- no 500 outside the seconds PostgreSQL was down;
- /health/ answered 503 while the database was down and 200 after;
- the login form's limit holds across workers (a sixth wrong password on another worker is
  refused), since the counts live in Redis;
- an edit of the site folder is seen by every worker;
- row-level security holds in the database (contract §12): the site runs as a role that owns no
  table (migrations as the owner, DATABASE_OWNER_URL), and after the load each salesman's token
  lists exactly the sales the admin's list shows as theirs (0 leaks).
It prints the figures (requests, p50/p99, statuses, lost writes).

It runs in the PostgreSQL pass of `make test` (scripts/postgres.sh and scripts/redis.sh start the
servers and export what it needs) and is skipped on SQLite.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
import requests

from .conftest import ROOT, Server, clean_env, gunicorn, last_line, manage

DATABASE_URL = os.environ.get("DATABASE_URL", "")

pytestmark = pytest.mark.skipif(
    not DATABASE_URL.startswith(("postgres://", "postgresql://")),
    reason="needs PostgreSQL and Redis: runs in the PostgreSQL pass of make test",
)

LOAD_SECONDS = 60
LOAD_USERS = 12
KILL_WORKER_AT = 15  # seconds into the load
RESTART_DATABASE_AT = 30
DATABASE_DOWN_SECONDS = 4
GRACE_SECONDS = 1  # requests in flight as the database stops or comes back
CONTENDED = ("contended-1", "contended-2", "contended-3")
WORKERS = 3
LIMITED_USER, LIMITED_PASSWORD = "carol", "carol-right-password-1"
WRONG_PASSWORD = "The username and/or password you specified are not correct."
TOO_MANY = "Too many failed login attempts. Wait a few minutes and try again."
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
ACCESS_PID = re.compile(r"^<(\d+)> .*[?&]probe=([\w-]+)[ &]", re.MULTILINE)


# --- the servers ----------------------------------------------------------------------------


@dataclass
class Postgres:
    """The throwaway server of scripts/postgres.sh, stopped and started with its pg_ctl."""

    bindir: str
    data: str
    owner: str
    log: str
    options: str

    @classmethod
    def from_environment(cls) -> Postgres:
        names = ("BINDIR", "DATA", "OWNER", "LOG", "OPTIONS")
        missing = [f"POSTGRES_{name}" for name in names if not os.environ.get(f"POSTGRES_{name}")]
        if missing:
            pytest.fail(
                f"{', '.join(missing)} not set: run the tests through scripts/postgres.sh "
                "(make test does), whose throwaway server this test restarts"
            )
        return cls(*(os.environ[f"POSTGRES_{name}"] for name in names))

    def pg_ctl(self, *args: str) -> None:
        command = [f"{self.bindir}/pg_ctl", "-D", self.data, *args]
        if os.geteuid() == 0 and self.owner != "root":
            command = ["runuser", "-u", self.owner, "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=60)  # noqa: S603

    def stop(self) -> None:
        # A clean stop: the throwaway server runs with synchronous_commit=off, which only a
        # crash (-m immediate) would turn into lost commits.
        self.pg_ctl("-m", "fast", "-w", "stop")

    def start(self) -> None:
        self.pg_ctl("-l", self.log, "-w", "-t", "60", "-o", self.options, "start")


@pytest.fixture
def postgres():
    return Postgres.from_environment()


@pytest.fixture
def redis_url():
    url = os.environ.get("REDIS_URL", "")
    if not url:
        pytest.fail("REDIS_URL not set: run the tests through scripts/redis.sh (make test does)")
    # Another database number than the test run's own cache, which tests clear.
    return re.sub(r"/\d*$", "", url) + "/1"


@pytest.fixture
def site_copy(tmp_path):
    """The demo site folder, copied so that the test may edit it."""
    site = tmp_path / "site"
    site.mkdir()
    shutil.copy(ROOT / "settings.yaml", site / "settings.yaml")
    shutil.copytree(ROOT / "pages", site / "pages")
    shutil.copytree(ROOT / "apps", site / "apps", ignore=shutil.ignore_patterns("__pycache__"))
    return site


@dataclass
class Deployment:
    server: Server
    env: dict[str, str]
    site: Path
    access_log: Path
    tokens: dict[str, str] = field(default_factory=dict)


@pytest.fixture
def deployment(tmp_path, documented_roles, redis_url, site_copy, strong_key):
    env = clean_env(
        DEBUG="0",
        SECRET_KEY=strong_key,
        ALLOWED_HOSTS="127.0.0.1",
        # docs/deploy.md's roles, made by its SQL: the site runs as one owning no table.
        DATABASE_URL=documented_roles.app_url,
        DATABASE_OWNER_URL=documented_roles.owner_url,
        CONN_MAX_AGE="60",
        # As behind one proxy: each simulated visitor has an address of its own (X-Forwarded-For),
        # so the per-address limits do not lump every request of the test together.
        TRUSTED_PROXIES="127.0.0.1",
        REDIS_URL=redis_url,
        SITE_DIR=site_copy,
        STATIC_ROOT=tmp_path / "static",
    )
    for command in (("migrate", "--noinput"), ("collectstatic", "--noinput")):
        result = manage(*command, env=env)
        assert result.returncode == 0, result.stdout + result.stderr
    last_line(manage("seed_demo", env={**env, "DEBUG": "1"}))
    create_user = (
        "from django.contrib.auth import get_user_model; "
        f"get_user_model().objects.create_user({LIMITED_USER!r}, '', {LIMITED_PASSWORD!r})"
    )
    assert manage("shell", "-c", create_user, env=env).returncode == 0
    tokens = {
        name: last_line(manage("create_api_token", name, env=env)) for name in ("alice", "admin")
    }
    access_log = tmp_path / "access.log"
    access = ("--access-logfile", str(access_log), "--access-logformat", '%(p)s %(s)s "%(r)s"')
    with gunicorn(env, tmp_path / "gunicorn.log", workers=WORKERS, extra_args=access) as server:
        yield Deployment(server, env, site_copy, access_log, tokens)


# --- the run --------------------------------------------------------------------------------


@dataclass
class Timeline:
    killed_worker: int = 0
    database_stopped: float = 0.0
    database_started: float = 0.0
    healthy_again: float = 0.0
    health_while_down: list[int] = field(default_factory=list)


def run_load(deployment: Deployment, out: Path, postgres: Postgres) -> Timeline:
    """Locust for LOAD_SECONDS; meanwhile a worker is killed and PostgreSQL restarted."""
    server = deployment.server
    for n, record_id in enumerate(CONTENDED, start=1):
        response = requests.put(
            f"{server.url}/api/v1/events/record/{record_id}",
            json={"title": f"Contended {n}", "seats": n},
            headers=bearer(deployment.tokens["admin"]),
            timeout=30,
        )
        assert response.status_code == 201, response.text
    locust = start_locust(deployment, out)
    timeline = Timeline()
    started = time.monotonic()
    try:
        sleep_until(started + KILL_WORKER_AT)
        timeline.killed_worker = server.worker_pids()[0]
        os.kill(timeline.killed_worker, signal.SIGKILL)
        sleep_until(started + RESTART_DATABASE_AT)
        restart_database(server, postgres, timeline)
        locust.wait(timeout=LOAD_SECONDS + 60)
    finally:
        if locust.poll() is None:
            locust.kill()
            locust.wait()
    return timeline


def start_locust(deployment: Deployment, out: Path) -> subprocess.Popen:
    static = hashed_static_url(deployment)
    env = {
        **os.environ,
        "LOAD_OUT": str(out),
        "LOAD_ALICE_TOKEN": deployment.tokens["alice"],
        "LOAD_ADMIN_TOKEN": deployment.tokens["admin"],
        "LOAD_CONTENDED": ",".join(CONTENDED),
        "LOAD_LOGIN": "bob",
        "LOAD_PASSWORD": "bob-demo-pass",
        "LOAD_STATIC": static,
    }
    with (out / "locust.log").open("wb") as log:
        return subprocess.Popen(  # noqa: S603 - Locust of this venv, fixed arguments
            [
                sys.executable,
                "-m",
                "locust",
                "-f",
                str(Path(__file__).with_name("locustfile.py")),
                "--headless",
                f"--users={LOAD_USERS}",
                f"--spawn-rate={LOAD_USERS}",
                f"--run-time={LOAD_SECONDS}s",
                f"--host={deployment.server.url}",
                "--stop-timeout=5",
                "--only-summary",
                "--loglevel=WARNING",
            ],
            cwd=out,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def hashed_static_url(deployment: Deployment) -> str:
    manifest = json.loads((Path(deployment.env["STATIC_ROOT"]) / "staticfiles.json").read_text())
    return "/static/" + manifest["paths"]["admin/css/base.css"]


def restart_database(server: Server, postgres: Postgres, timeline: Timeline) -> None:
    timeline.database_stopped = time.time()
    postgres.stop()
    down_until = time.monotonic() + DATABASE_DOWN_SECONDS
    while time.monotonic() < down_until:
        timeline.health_while_down.append(health_status(server))
        time.sleep(0.5)
    postgres.start()
    timeline.database_started = time.time()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if health_status(server) == 200:
            timeline.healthy_again = time.time()
            return
        time.sleep(0.2)


def health_status(server: Server) -> int:
    try:
        return server.get("/health/").status_code
    except requests.RequestException:
        return 0


def sleep_until(moment: float) -> None:
    time.sleep(max(0.0, moment - time.monotonic()))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# --- what the run left -----------------------------------------------------------------------


def read_lines(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def lost_writes(database_url: str, writes: list[dict]) -> list[dict]:
    """The acknowledged writes whose items are not in the database as written."""
    with psycopg.connect(database_url) as connection:
        # The server's view of every row: with no caller the policies show none (§12).
        connection.execute("SELECT set_config('site.caller', '{\"trusted\": true}', false)")
        rows = connection.execute(
            "SELECT record_id, items FROM records_record WHERE app_id = 'events'"
        ).fetchall()
    stored = dict(rows)
    return [
        write
        for write in writes
        if any(stored.get(write["id"], {}).get(k, object()) != v for k, v in write["items"].items())
    ]


def figures(requests_log: list[dict], timeline: Timeline, lost: list[dict]) -> dict:
    durations = sorted((line["end"] - line["start"]) * 1000 for line in requests_log)
    window = (
        timeline.database_stopped - GRACE_SECONDS,
        (timeline.healthy_again or timeline.database_started) + GRACE_SECONDS,
    )

    def in_window(line):
        return line["end"] >= window[0] and line["start"] <= window[1]

    errors = [line for line in requests_log if line["status"] >= 500 or line["status"] == 0]
    return {
        "requests": len(requests_log),
        "p50_ms": round(statistics.median(durations), 1) if durations else None,
        "p99_ms": round(durations[int(len(durations) * 0.99) - 1], 1) if durations else None,
        "statuses": dict(sorted(Counter(line["status"] for line in requests_log).items())),
        "errors_while_database_down": dict(
            Counter(line["status"] for line in errors if in_window(line))
        ),
        "errors_outside": dict(Counter(line["status"] for line in errors if not in_window(line))),
        "500_outside_database_down": sum(
            1 for line in errors if line["status"] == 500 and not in_window(line)
        ),
        "database_down_seconds": round(window[1] - window[0] - 2 * GRACE_SECONDS, 1),
        "acknowledged_writes": None,
        "lost_writes": len(lost),
        "health_while_down": sorted(set(timeline.health_while_down)),
    }


# --- checks after the load --------------------------------------------------------------------


def pid_of(deployment: Deployment, probe: str) -> int:
    """The worker that served the request carrying `?probe=<probe>` (from the access log)."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        for pid, seen in ACCESS_PID.findall(deployment.access_log.read_text()):
            if seen == probe:
                return int(pid)
        time.sleep(0.1)
    raise AssertionError(f"no access log line for probe {probe}")


def login_attempt(deployment: Deployment, password: str) -> tuple[str, int]:
    """One sign-in through the login form, on a new connection: (the form's error, worker pid)."""
    url = deployment.server.url + "/accounts/login/"
    probe = uuid.uuid4().hex[:12]
    # Each attempt from another address: what stops the sixth is the count for the account.
    headers = {"Connection": "close", "X-Forwarded-For": random_address()}
    with requests.Session() as session:
        page = session.get(url, headers=headers, timeout=30)
        token = CSRF_FIELD.search(page.text).group(1)
        response = session.post(
            f"{url}?probe={probe}",
            data={"login": LIMITED_USER, "password": password, "csrfmiddlewaretoken": token},
            headers={**headers, "Referer": url},
            allow_redirects=False,
            timeout=30,
        )
    if response.status_code == 302:
        return "signed in", pid_of(deployment, probe)
    found = re.search(r'<p class="field-error" role="alert">([^<]+)</p>', response.text)
    return (found.group(1) if found else response.text[:200]), pid_of(deployment, probe)


def random_address() -> str:
    return "10." + ".".join(str(random.randint(0, 255)) for _ in range(3))


def check_login_limit_across_workers(deployment: Deployment) -> dict:
    failures = [login_attempt(deployment, "wrong-password") for _ in range(5)]
    assert [message for message, _ in failures] == [WRONG_PASSWORD] * 5
    last_worker = failures[-1][1]
    refused = []
    held: list[socket.socket] = []
    try:
        for _ in range(30):  # new connections until one lands on another worker
            refused.append(login_attempt(deployment, "wrong-password"))
            if refused[-1][1] != last_worker:
                break
            # An idle worker may win every accept: keep it busy with a request left unfinished.
            if len(held) < WORKERS - 1:
                held.append(hold_a_worker(deployment))
    finally:
        for connection in held:
            connection.close()
    assert refused[-1][1] != last_worker, f"every attempt landed on worker {last_worker}"
    assert {message for message, _ in refused} == {html_escaped(TOO_MANY)}
    right = login_attempt(deployment, LIMITED_PASSWORD)
    assert right[0] == html_escaped(TOO_MANY)
    # HTTP Basic shares the count: the right password is refused there too, on every worker.
    basic = [basic_attempt(deployment, LIMITED_PASSWORD) for _ in range(6)]
    assert {status for status, _, _ in basic} == {429}, basic
    assert all(int(retry_after) > 0 for _, retry_after, _ in basic)
    return {
        "workers": sorted({pid for _, pid in failures + refused + [right]}),
        "basic_workers": sorted({pid for _, _, pid in basic}),
    }


def basic_attempt(deployment: Deployment, password: str) -> tuple[int, str, int]:
    """One API call with HTTP Basic on a new connection: (status, Retry-After, worker pid)."""
    probe = uuid.uuid4().hex[:12]
    response = requests.get(
        f"{deployment.server.url}/api/v1/events/records?probe={probe}",
        auth=(LIMITED_USER, password),
        headers={"Connection": "close", "X-Forwarded-For": random_address()},
        timeout=30,
    )
    return response.status_code, response.headers.get("Retry-After", ""), pid_of(deployment, probe)


def hold_a_worker(deployment: Deployment) -> socket.socket:
    """A connection whose request never ends: the sync worker that accepts it waits on it (well
    within gunicorn's timeout) until the connection is closed, so others take the next ones."""
    host, port = deployment.server.url.removeprefix("http://").split(":")
    connection = socket.create_connection((host, int(port)), timeout=5)
    connection.sendall(b"GET /health/ HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    time.sleep(0.2)  # let a worker accept it
    return connection


def leaks(deployment: Deployment) -> dict[str, list[str]]:
    """The sales each salesman's token lists that the admin's list does not show as theirs:
    an owner item naming them, their e-mail, group, profile team or role (seed_demo's users)."""
    admin = {"Authorization": f"Bearer {deployment.tokens['admin']}"}
    every = deployment.server.get("/api/v1/sales/records?limit=1000", headers=admin).json()
    teams = {
        "alice": {"alice", "alice@example.com", "members", "team:east", "leads"},
        "bob": {"bob", "bob@example.com", "team:west"},
    }
    found = {}
    for name, theirs in teams.items():
        token = deployment.tokens.get(name) or last_line(
            manage("create_api_token", name, env=deployment.env)
        )
        headers = {"Authorization": f"Bearer {token}"}
        listed = deployment.server.get("/api/v1/sales/records?limit=1000", headers=headers).json()
        owned = {
            r["items"]["id"]
            for r in every
            if theirs & {value.casefold() for value in owner_values(r["items"])}
            or r["items"].get("_author") == name
        }
        shown = {r["items"]["id"] for r in listed}
        assert shown, f"{name} lists no sale"
        found[name] = sorted(shown - owned)
    return found


def owner_values(items: dict) -> list[str]:
    values = []
    for name in ("salesman", "team"):
        value = items.get(name)
        values += value if isinstance(value, list) else [value]
    return [value for value in values if isinstance(value, str)]


def html_escaped(text: str) -> str:
    return text.replace("'", "&#x27;")


def check_site_edit_seen_by_every_worker(deployment: Deployment) -> dict:
    index = deployment.site / "pages" / "index.yaml"
    title = f"Welcome edited {uuid.uuid4().hex[:6]}"  # no comma: a YAML flow mapping
    before = index.read_text()
    edited = before.replace("en: Welcome", f"en: {title}", 1)  # the English of the title
    assert edited != before, "the demo's home page title is no longer {en: Welcome, ...}"
    index.write_text(edited)
    workers = set(deployment.server.worker_pids())
    seen: set[int] = set()
    for _ in range(60):
        probe = uuid.uuid4().hex[:12]
        response = deployment.server.get(f"/?probe={probe}", headers={"Connection": "close"})
        pid = pid_of(deployment, probe)
        assert title in response.text, f"worker {pid} still shows the old page"
        seen.add(pid)
        if workers <= seen:
            break
    assert workers <= seen, f"workers {sorted(workers - seen)} never answered"
    return {"workers": sorted(seen)}


# --- the test --------------------------------------------------------------------------------


def test_production_under_load_and_faults(deployment, postgres, tmp_path, capsys):
    out = tmp_path / "load"
    out.mkdir()
    timeline = run_load(deployment, out, postgres)
    requests_log = read_lines(out / "requests.jsonl")
    writes = read_lines(out / "writes.jsonl")
    lost = lost_writes(deployment.env["DATABASE_URL"], writes)
    found = figures(requests_log, timeline, lost)
    found["acknowledged_writes"] = len(writes)
    workers_after = deployment.server.worker_pids()
    found["login_limit"] = check_login_limit_across_workers(deployment)
    found["site_edit"] = check_site_edit_seen_by_every_worker(deployment)
    found["leaks"] = leaks(deployment)
    with capsys.disabled():
        print("\ndeployment under load:", json.dumps(found, indent=2))  # noqa: T201

    assert len(requests_log) > 500, (out / "locust.log").read_text()[-3000:]
    assert len(writes) > 100
    assert lost == []
    assert found["500_outside_database_down"] == 0, found
    assert found["leaks"] == {"alice": [], "bob": []}, found
    assert 503 in timeline.health_while_down, timeline
    assert timeline.healthy_again > timeline.database_started
    assert len(workers_after) == 3 and timeline.killed_worker not in workers_after
    assert health_status(deployment.server) == 200
