"""Helpers of the deployment tests: `manage.py` and servers run as separate processes."""

import os
import re
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]

# Variables of the test run that must not leak into a production-like process.
DROPPED = (
    "DEBUG",
    "SECRET_KEY",
    "DATABASE_URL",
    "DATABASE_OWNER_URL",
    "REDIS_URL",
    "ENV_FILE",
    "DJANGO_SETTINGS_MODULE",
    "DJANGO_ALLOW_ASYNC_UNSAFE",  # set by tests/e2e for Playwright; check --deploy warns of it
)


def clean_env(**values) -> dict[str, str]:
    """The current environment without the site's variables, plus `values` (None drops one)."""
    env = {k: v for k, v in os.environ.items() if k not in DROPPED and not k.startswith("PYTEST")}
    env["ENV_FILE"] = os.devnull  # a developer's .env must not change what these tests see
    for name, value in values.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = str(value)
    return env


def manage(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own manage.py with fixed arguments
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture
def strong_key() -> str:
    import secrets

    return secrets.token_urlsafe(50)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    """A gunicorn serving the site; `log` holds its standard error (and Django's log)."""

    process: subprocess.Popen
    url: str
    log: Path

    def get(self, path: str, **kwargs):
        return requests.get(self.url + path, timeout=30, **kwargs)

    def post(self, path: str, **kwargs):
        return requests.post(self.url + path, timeout=30, **kwargs)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def worker_pids(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()]


@contextmanager
def gunicorn(
    env: dict[str, str],
    log: Path,
    *,
    workers: int = 3,
    ready_timeout: float = 60,
    extra_args: tuple[str, ...] = (),
):
    """Start gunicorn on a free port, wait until /health/ answers, stop it by its pid at the end."""
    port = free_port()
    with log.open("ab") as out:
        process = subprocess.Popen(  # noqa: S603 - gunicorn of this venv, fixed arguments
            [
                sys.executable,
                "-m",
                "gunicorn",
                "site_config.wsgi",
                f"--workers={workers}",
                f"--bind=127.0.0.1:{port}",
                "--timeout=60",
                "--graceful-timeout=5",
                "--limit-request-line=8190",  # as docs/deploy.md's command: long URLs answer JSON
                # One control socket per user by default: servers side by side would share it.
                "--no-control-socket",
                *extra_args,
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Server(process, f"http://127.0.0.1:{port}", log)
    try:
        wait_until_answering(server, ready_timeout)
        yield server
    finally:
        stop(process)


def wait_until_answering(server: Server, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"gunicorn exited with {server.process.returncode}:\n{server.log_text()}"
            )
        try:
            server.get("/health/")
            return
        except requests.ConnectionError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer within {timeout} s:\n{server.log_text()}")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


def last_line(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.strip().splitlines()[-1]


@dataclass
class DocumentedRoles:
    """The database and roles of docs/deploy.md's "Row-level security" set-up, made by its SQL."""

    app_url: str  # DATABASE_URL: the role the site runs as, owning no table
    owner_url: str  # DATABASE_OWNER_URL: migrations and reporting logins
    sql: str  # the statements as run (the documentation's, names made unique)


DOCUMENTED_SQL = re.compile(r"```sql\n(-- once, as a superuser.*?)```", re.DOTALL)
DOCUMENTED_ENV = re.compile(r"```\n# \.env\n(.*?)```", re.DOTALL)


def documented_roles_sql(names: dict[str, str]) -> tuple[str, dict[str, str]]:
    """docs/deploy.md's SQL and `.env` lines, with each name (role, password, database, host)
    replaced by `names[name]`: the statements themselves are the documentation's."""
    docs = (ROOT / "docs" / "deploy.md").read_text()
    sql, env = DOCUMENTED_SQL.search(docs), DOCUMENTED_ENV.search(docs)
    assert sql and env, "docs/deploy.md lost its roles' SQL or .env block"
    pattern = re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, names)) + r")(?![\w-])")

    def rename(text: str) -> str:
        return pattern.sub(lambda match: names[match.group(1)], text)

    lines = dict(line.split("=", 1) for line in env.group(1).splitlines() if "=" in line)
    return rename(sql.group(1)), {key: rename(value) for key, value in lines.items()}


@pytest.fixture
def documented_roles():
    """Runs docs/deploy.md's SQL as a superuser (psql, as the page says) under unique names and
    yields the URLs of its `.env`; drops the database and roles at the end."""
    import uuid

    admin_url = os.environ.get("POSTGRES_ADMIN_URL", "")
    if not admin_url:
        pytest.fail(
            "POSTGRES_ADMIN_URL not set: run the tests through scripts/postgres.sh (make test "
            "does), or give a superuser's URL"
        )
    tag = uuid.uuid4().hex[:8]
    server = re.match(r"postgres(?:ql)?://[^@]*@([^/]+)/", admin_url).group(1)
    names = {
        "site_owner": f"owner_{tag}",
        "site_app": f"app_{tag}",
        "owner-secret": uuid.uuid4().hex,
        "app-secret": uuid.uuid4().hex,
        "site": f"deploy_{tag}",
        "db.internal": server,
    }
    sql, env = documented_roles_sql(names)
    psql = subprocess.run(  # noqa: S603 - the server's psql, the documentation's statements
        [f"{os.environ.get('POSTGRES_BINDIR', '/usr/bin')}/psql", admin_url, "-X", "-q"]
        + ["-v", "ON_ERROR_STOP=1"],
        input=sql,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert psql.returncode == 0, f"docs/deploy.md's SQL failed:\n{psql.stderr}\n{sql}"
    try:
        yield DocumentedRoles(env["DATABASE_URL"], env["DATABASE_OWNER_URL"], sql)
    finally:
        import psycopg

        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{names["site"]}" WITH (FORCE)')
            for role in (names["site_app"], names["site_owner"]):
                connection.execute(f"DROP ROLE IF EXISTS {role}")
