"""The password limit holds across gunicorn workers without Redis (contract §7).

Without `REDIS_URL`, production counts failures in Django's database cache, whose table
`migrate` creates, so every worker of the machine reads the same count. Each attempt comes
from its own client address (a trusted proxy names it), so only the per-account limit
(5 failures in 5 minutes) can refuse, and the log's `[pid N]` says which worker answered.
"""

import base64
import re
from concurrent.futures import ThreadPoolExecutor

from .conftest import gunicorn, last_line, manage
from .test_sqlite_server import production_env

WORKERS = 2
REFUSED_ATTEMPTS = 16


def basic(username: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def attempt(server, password: str, n: int):
    return server.get(
        "/api/v1/events/records",
        headers={**basic("alice", password), "X-Forwarded-For": f"203.0.113.{n}"},
    )


def pids_of(log: str, message: str) -> set[str]:
    return set(re.findall(rf"\[pid (\d+)\] {re.escape(message)}", log))


def test_the_sixth_password_attempt_is_refused_by_every_worker(tmp_path):
    env = production_env(tmp_path, TRUSTED_PROXIES="127.0.0.1")
    assert manage("migrate", "--noinput", env=env).returncode == 0
    last_line(manage("seed_demo", env={**env, "DEBUG": "1"}))
    with gunicorn(env, tmp_path / "gunicorn.log", workers=WORKERS) as server:
        failures = [attempt(server, "wrong-password", n).status_code for n in range(5)]
        # In pairs, so that one worker busy with a request leaves the next to the other.
        with ThreadPoolExecutor(WORKERS) as pool:
            refused = list(
                pool.map(
                    lambda n: attempt(server, "alice-demo-pass", n),
                    range(5, 5 + REFUSED_ATTEMPTS),
                )
            )
        log = server.log_text()
    assert failures == [401] * 5, log[-3000:]
    assert [r.status_code for r in refused] == [429] * REFUSED_ATTEMPTS, log[-3000:]
    assert all(int(r.headers["Retry-After"]) > 0 for r in refused)
    refusing_workers = pids_of(log, "password check refused for 'alice'")
    assert len(refusing_workers) == WORKERS, log[-3000:]
