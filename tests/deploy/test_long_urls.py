"""An over-long URL under /api/ answers JSON (contract §7: every path under /api/ answers JSON).

gunicorn answers a request line over its limit itself, in plain text (4094 bytes by default);
the documented command raises the limit to 8190 (gunicorn's highest, and nginx's default
buffer for a request line), so URLs up to that reach the site, whose answers are JSON.
"""

import re
from pathlib import Path

from .conftest import ROOT, gunicorn, manage
from .test_sqlite_server import production_env

LONG_ID = "a" * 6000


def documented_limit() -> str:
    text = (ROOT / "docs" / "deploy.md").read_text()
    commands = re.findall(r"gunicorn site_config\.wsgi[^\n]*", text)
    assert commands
    limits = {re.search(r"--limit-request-line (\d+)", c).group(1) for c in commands}
    assert len(limits) == 1, commands
    return limits.pop()


def test_a_long_url_under_api_answers_json(tmp_path: Path):
    env = production_env(tmp_path)
    assert manage("migrate", "--noinput", env=env).returncode == 0
    with gunicorn(env, tmp_path / "gunicorn.log", workers=1) as server:
        response = server.get(f"/api/v1/events/record/{LONG_ID}")
    assert response.status_code == 400, response.text[:300]
    assert response.headers["Content-Type"] == "application/json", response.text[:300]
    assert response.json()["error"].startswith(f"invalid record id '{LONG_ID[:20]}")
    assert documented_limit() == "8190"
