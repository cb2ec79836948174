"""docs/api.md, run as written against a live server of the demo (issue 15): every `sh`
example in order, in one shell, each curl's status checked against the `# NNN` line that
follows it. Only the tokens are made here, in the test database, instead of by the doc's
`manage.py create_api_token` lines (which would write to the development database)."""

import re
import subprocess
from pathlib import Path

import pytest
from django.conf import settings as conf
from django.core.management import call_command

pytestmark = pytest.mark.django_db(transaction=True)

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"
FENCE = re.compile(r"^```sh\n(.*?)^```", re.MULTILINE | re.DOTALL)
STATUS = re.compile(r"^# (\d{3})\b")
ORIGIN = "http://127.0.0.1:8000"


def examples() -> list[tuple[str, int]]:
    """(command, expected status) for each curl command of the doc, in order; a command runs
    on until the `# NNN` line after it (continuation lines included)."""
    found, pending = [], []
    for block in FENCE.findall(DOC.read_text()):
        for line in block.splitlines():
            status = STATUS.match(line)
            if status and pending:
                found.append(("\n".join(pending), int(status.group(1))))
                pending = []
            elif line.startswith("#") or not line.strip() or "manage.py" in line:
                continue
            else:
                pending.append(line)
        assert not pending, f"no '# <status>' after: {pending}"
    return found


def test_the_doc_has_examples_for_every_route():
    commands = " ".join(command for command, _ in examples())
    for route in (
        "/api/v1/ ",
        "openapi.json",
        "/records",
        "/search",
        "/aggregate",
        "/share",
        "/refresh",
        "/access?",
        "/import",
        "/export",
        "8000$JOB",
        "/blocks/rate ",
        "?fields=",
        "If-None-Match",
        "If-Match",
    ):
        assert route in commands + " ", route
    for command, _ in examples():  # every write says whose credentials it sends
        if re.search(
            r"-X (PUT|PATCH|DELETE)|-X POST .*/(records|share|refresh|import)\b|/import\b|/rating \\",
            command,
        ):
            assert re.search(r"\$(ADMIN|ALICE|BOB)_TOKEN|-u (admin|alice|bob):", command), command


@pytest.fixture
def demo(settings, live_server):
    """The demo site and its users (seed_demo), a token each, as `make run` has them."""
    from django.contrib.auth import get_user_model

    from accounts.tokens import create_token

    settings.SITE_DIR = conf.BASE_DIR
    settings.DEBUG = True
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    settings.DEBUG = False
    users = get_user_model().objects
    return {
        f"{name.upper()}_TOKEN": create_token(users.get(username=name), name="doc", via="tests")[1]
        for name in ("admin", "alice", "bob")
    }


def test_every_example_runs_as_written(live_server, demo, tmp_path):
    steps = examples()
    script = ["set -u", "curl() { command curl -sS -w '%{stderr}STATUS %{http_code}\\n' \"$@\"; }"]
    for command, _ in steps:
        script.append(command.replace(ORIGIN, live_server.url))
    done = subprocess.run(  # noqa: S603 (our script, run by bash)
        ["/bin/bash", "-c", "\n".join(script)],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", **demo},
        check=False,
    )
    statuses = [int(s) for s in re.findall(r"^STATUS (\d{3})$", done.stderr, re.MULTILINE)]
    expected = [status for _, status in steps]
    report = "\n".join(
        f"{want} {got} {command.splitlines()[0][:100]}"
        for (command, want), got in zip(steps, statuses + [0] * len(steps), strict=False)
    )
    assert statuses == expected, (
        f"{report}\n--- stdout\n{done.stdout[-3000:]}\n--- stderr\n{done.stderr[-3000:]}"
    )
