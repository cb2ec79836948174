"""docs/deploy.md's production roles for row-level security (contract §12), run as written: a
superuser's SQL makes an owner that migrates and a role the site runs as; the site migrates,
`check --deploy` is quiet about the policies, and the policies hold for both roles."""

from __future__ import annotations

import os

import psycopg
import pytest

from .conftest import ROOT, clean_env, gunicorn, last_line, manage

pytestmark = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")),
    reason="a PostgreSQL set-up: runs in the PostgreSQL pass of make test",
)

TRUSTED = "SELECT set_config('site.caller', '{\"trusted\": true}', false)"
COUNT = "SELECT count(*) FROM records_record"


def site_env(database_url: str, owner_url: str | None) -> dict[str, str]:
    return clean_env(
        DEBUG="0",
        SECRET_KEY="database-roles-test-key-" + "x" * 40,
        ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=database_url,
        DATABASE_OWNER_URL=owner_url,
        SITE_DIR=ROOT,
    )


def count(url: str, *caller: str) -> int:
    with psycopg.connect(url) as connection:
        for statement in caller:
            connection.execute(statement)
        return connection.execute(COUNT).fetchone()[0]


def test_the_documented_roles_migrate_serve_and_hold_the_policies(documented_roles, tmp_path):
    env = site_env(documented_roles.app_url, documented_roles.owner_url)
    migrated = manage("migrate", "--noinput", env=env)
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    last_line(manage("seed_demo", env={**env, "DEBUG": "1"}))

    checked = manage("check", "--deploy", env=env)
    assert "records.W00" not in checked.stdout + checked.stderr
    # The same database run as its owner: the warning the documented set-up avoids.
    as_owner = manage("check", "--deploy", env=site_env(documented_roles.owner_url, None))
    assert "records.W002" in as_owner.stdout + as_owner.stderr

    token = last_line(manage("create_api_token", "alice", env=env))
    with gunicorn(env, tmp_path / "gunicorn.log", workers=1) as server:
        # The first request copies the site's ACL into the policy tables.
        assert server.get("/").status_code == 200
        listed = {
            (app.name, record["items"]["id"])
            for app in (ROOT / "apps").iterdir()
            if (app / "settings.yaml").exists()
            for record in answer(server, f"/api/v1/{app.name}/records?limit=1000", token)
        }
    everything = count(documented_roles.app_url, TRUSTED)
    assert 0 < len(listed) < everything
    for url in (documented_roles.app_url, documented_roles.owner_url):
        assert count(url) == 0  # no caller, no row: the owner too (FORCE)

    with psycopg.connect(documented_roles.app_url) as connection:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            connection.execute("ALTER TABLE records_record DISABLE ROW LEVEL SECURITY")

    # The owner makes alice's reporting login (docs/deploy.md): it reads what her API lists.
    login = last_line(manage("reporting_role", "alice", env=env))
    with psycopg.connect(login) as connection:
        reported = set(connection.execute("SELECT app, id FROM reporting.records").fetchall())
    assert reported == listed
    last_line(manage("reporting_role", "alice", "--revoke", env=env))


def answer(server, path: str, token: str) -> list[dict]:
    """A list of alice's; an app she may not read lists nothing (403)."""
    got = server.get(path, headers={"Authorization": f"Bearer {token}"})
    assert got.status_code in (200, 403), got.text
    return got.json() if got.status_code == 200 else []
