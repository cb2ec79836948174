"""Helpers of the deployment tests: `manage.py` and servers run as separate processes."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Variables of the test run that must not leak into a production-like process.
DROPPED = ("DEBUG", "SECRET_KEY", "DATABASE_URL", "REDIS_URL", "ENV_FILE", "DJANGO_SETTINGS_MODULE")


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
