"""Schemathesis against a live server (issue 15): every operation each demo app's description
offers an anonymous visitor and an editor, bounded (a fixed number of examples per operation,
a fixed seed), with the checks for server errors, status codes and response schemas.

The description's generated twins (HEAD, 405 and the trailing-slash copy of each operation,
api/openapi_methods.py) are left out: they run the same handlers, and tripled the run's time;
the API tests check each of them against the description (tests/api/test_described.py)."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as conf

from api.openapi_methods import TWIN_ID

pytestmark = pytest.mark.django_db(transaction=True)

ST = Path(sys.executable).with_name("st")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHECKS = "not_a_server_error,status_code_conformance,response_schema_conformance"
APPS = ["demo", "events", "rating", "sales"]
MAX_EXAMPLES = 6
SEED = 15


@pytest.fixture
def demo_site(settings, user_factory):
    """The demo site folder and users, its sales seeded (seed_demo), and an editor of every
    app (group admins, not a superuser) with a token."""
    from django.core.management import call_command

    from accounts.tokens import create_token

    settings.SITE_DIR = conf.BASE_DIR
    settings.DEBUG = True  # seed_demo runs in development only
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    settings.DEBUG = False
    editor = user_factory("ed", groups=["admins"])
    _, raw = create_token(editor, name="fuzz", via="tests")
    return raw


def fuzz(url: str, *headers: str, cwd: Path) -> dict:
    """Run `st` in `cwd` (it keeps a cache folder there) and return its exit status and output."""
    command = [
        str(ST),
        "run",
        url,
        "--checks",
        CHECKS,
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        str(SEED),
        "--workers",
        "1",
        "--phases",
        "examples,coverage,fuzzing",
        "--no-color",
        "--exclude-operation-id-regex",
        TWIN_ID.pattern,
        *[arg for header in headers for arg in ("--header", header)],
    ]
    done = subprocess.run(  # noqa: S603 (our own argument list, no shell)
        command, capture_output=True, text=True, timeout=600, check=False, cwd=cwd
    )
    return {"status": done.returncode, "output": done.stdout + done.stderr}


def figures(output: str) -> str:
    """`<operations tested> operations, <test cases> requests` from Schemathesis' summary (one
    request per test case)."""
    tested = re.search(r"Tested: (\d+)", output)
    cases = re.search(r"(\d+) generated", output)
    return f"{tested.group(1) if tested else '?'} operations, {cases.group(1) if cases else '?'} requests"


@pytest.mark.parametrize("who", ["anonymous", "editor"])
def test_schemathesis_finds_nothing(live_server, demo_site, who, tmp_path):
    headers = [] if who == "anonymous" else [f"Authorization: Bearer {demo_site}"]
    ARTIFACTS.mkdir(exist_ok=True)
    for app in APPS:
        result = fuzz(f"{live_server.url}/api/v1/{app}/openapi.json", *headers, cwd=tmp_path)
        (ARTIFACTS / f"schemathesis-{who}-{app}.txt").write_text(result["output"])
        print(f"schemathesis {who} {app}: {figures(result['output'])}")  # noqa: T201
        assert result["status"] == 0, result["output"]
