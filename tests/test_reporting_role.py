"""`manage.py reporting_role` (contract §12, issue 28): a BI tool's login reads, through psql,
exactly the rows and items its user may read, writes nothing, and nothing after `--revoke`."""

from __future__ import annotations

import io
import json
import shutil
import subprocess

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from records import rls, store
from site_model.loader import current_site
from tests.helpers import new_client

ON_POSTGRES = connection.vendor == "postgresql"

SALES = """
acl:
  rights:
    reader: [authenticated]
    author: [authenticated]
    editor: [admins]
  row_owners: [salesman]
  fields:
    margin: {read: [admins]}
"""


@pytest.fixture
def sales(site_dir, user_factory):
    site_dir.write("apps/sales/settings.yaml", SALES)
    site_dir.write(
        "apps/sales/blocks/sale.yaml",
        "elements:\n  amount: {type: NUMBER}\n  margin: {type: NUMBER}\n  salesman: TEXT\n",
    )
    app = current_site().apps["sales"]
    users = {name: user_factory(name) for name in ("alice", "bob")}
    for number, salesman in enumerate(["alice", "bob", "alice", "carol"]):
        items = {"amount": number * 100, "margin": number, "salesman": salesman}
        store.record_create(app=app, items=items, record_id=f"s{number}")
    return users


def psql(url: str, sql: str) -> subprocess.CompletedProcess:
    """`psql URL -c SQL` as a site owner would type it (unaligned, tuples only)."""
    return subprocess.run(  # noqa: S603 - our own psql, our own SQL
        [
            shutil.which("psql") or "psql",
            url,
            "-X",
            "-q",
            "-A",
            "-t",
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            sql,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def rows(result: subprocess.CompletedProcess) -> dict[str, dict]:
    assert result.returncode == 0, result.stderr
    found = {}
    for line in result.stdout.splitlines():
        record_id, items = line.split("|", 1)
        found[record_id] = json.loads(items)
    return found


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not ON_POSTGRES, reason="a PostgreSQL feature; SQLite: the test below")
def test_a_reporting_login_reads_exactly_the_users_rows_through_psql(sales):
    api = new_client(sales["alice"]).get("/api/v1/sales/records").json()
    expected = {r["items"].pop("id"): r["items"] for r in api}
    assert sorted(expected) == ["s0", "s2"] and "margin" not in expected["s0"]

    out = io.StringIO()
    call_command("reporting_role", "alice", stdout=out)
    url = out.getvalue().splitlines()[-1]
    assert url.startswith("postgres://reporting_alice_")
    try:
        query = "SELECT id, items FROM reporting.records WHERE app = 'sales' ORDER BY id"
        assert rows(psql(url, query)) == expected
        # Claiming to be trusted (or anyone) changes nothing: the login is alice.
        forged = psql(url, f"SET site.caller = '{{\"trusted\": true}}'; {query}")
        assert sorted(rows(forged)) == ["s0", "s2"]
        # The tables themselves, and any write, are refused.
        refused = psql(url, "SELECT count(*) FROM records_record")
        assert refused.returncode != 0 and "permission denied" in refused.stderr
        write = psql(url, "DELETE FROM reporting.records")
        assert write.returncode != 0
        assert "permission denied" in write.stderr or "cannot delete from view" in write.stderr
        # Refreshed (a new password): the old URL stops working, the new one reads the same.
        again = io.StringIO()
        call_command("reporting_role", "alice", stdout=again)
        assert psql(url, query).returncode != 0
        url = again.getvalue().splitlines()[-1]
        assert sorted(rows(psql(url, query))) == ["s0", "s2"]
    finally:
        call_command("reporting_role", "alice", "--revoke", stdout=io.StringIO())
    after = psql(url, "SELECT count(*) FROM reporting.records")
    assert after.returncode != 0 and "authentication failed" in after.stderr


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not ON_POSTGRES, reason="a PostgreSQL feature")
def test_a_login_of_a_user_made_inactive_reads_nothing(sales):
    out = io.StringIO()
    call_command("reporting_role", "bob", stdout=out)
    url = out.getvalue().splitlines()[-1]
    try:
        assert sorted(rows(psql(url, "SELECT id, items FROM reporting.records"))) == ["s1"]
        sales["bob"].is_active = False
        sales["bob"].save()
        assert rows(psql(url, "SELECT id, items FROM reporting.records")) == {}
    finally:
        call_command("reporting_role", "bob", "--revoke", stdout=io.StringIO())


@pytest.mark.django_db
@pytest.mark.skipif(ON_POSTGRES, reason="what SQLite answers")
def test_on_sqlite_the_command_says_it_needs_postgresql(user_factory):
    user_factory("alice")
    with pytest.raises(CommandError, match="need PostgreSQL"):
        call_command("reporting_role", "alice", stdout=io.StringIO())


@pytest.mark.django_db
def test_an_unknown_user_gets_no_login():
    with pytest.raises(CommandError, match="PostgreSQL|no active user 'nobody'"):
        call_command("reporting_role", "nobody", stdout=io.StringIO())


# Tables of the login's own session named as the policy functions' tables: PostgreSQL looks a
# table name up in the session's temporary schema first unless the search_path puts it last.
SHADOWS = {
    "an empty login table, then a trusted site.caller": """
        CREATE TEMP TABLE records_reportinglogin (role text, caller jsonb, username text);
        GRANT SELECT ON records_reportinglogin TO PUBLIC;
        SET site.caller = '{"trusted": true}';
    """,
    "itself as a trusted login of an active user": """
        CREATE TEMP TABLE records_reportinglogin (role text, caller jsonb, username text);
        INSERT INTO records_reportinglogin VALUES (session_user, '{"trusted": true}', 'x');
        CREATE TEMP TABLE auth_user (id int, username text, is_active boolean);
        INSERT INTO auth_user VALUES (1, 'x', true);
        GRANT SELECT ON records_reportinglogin, auth_user TO PUBLIC;
    """,
    "every principal a manager of every app": """
        CREATE TEMP TABLE records_policyright (app_id text, rank int, match text);
        INSERT INTO records_policyright VALUES ('sales', 4, '*');
        GRANT SELECT ON records_policyright TO PUBLIC;
    """,
}


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not ON_POSTGRES, reason="a PostgreSQL feature")
def test_a_login_cannot_shadow_the_policy_tables_with_temporary_tables(sales):
    out = io.StringIO()
    call_command("reporting_role", "bob", stdout=out)
    url = out.getvalue().splitlines()[-1]
    query = "SELECT id, items FROM reporting.records ORDER BY id"
    try:
        for name, shadow in SHADOWS.items():
            seen = psql(url, shadow + query)
            # refused, or bob's own row without the margin: never another's row or item
            if seen.returncode == 0:
                assert rows(seen) == {"s1": {"amount": 100, "salesman": "bob"}}, name
    finally:
        call_command("reporting_role", "bob", "--revoke", stdout=io.StringIO())


@pytest.mark.django_db
@pytest.mark.skipif(not ON_POSTGRES, reason="a PostgreSQL feature")
def test_every_security_definer_function_searches_the_temporary_schema_last():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT proname, proconfig FROM pg_proc WHERE prosecdef"
            " AND pronamespace = 'public'::regnamespace"
        )
        found = dict(cursor.fetchall())
    assert found, "the policy functions are SECURITY DEFINER"
    unsafe = {
        name: config
        for name, config in found.items()
        if not any(
            setting.startswith("search_path=") and setting.endswith("pg_temp")
            for setting in config or []
        )
    }
    assert unsafe == {}


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not ON_POSTGRES, reason="a PostgreSQL feature")
def test_explain_analyze_tells_a_hidden_record_from_an_absent_one_in_nothing(sales):
    """A comparison PostgreSQL deems leakproof (`id = ...`, `app = ...`) may run before the
    policies, and EXPLAIN ANALYZE counts the rows it removed: the view must not let one."""
    out = io.StringIO()
    call_command("reporting_role", "bob", stdout=out)
    url = out.getvalue().splitlines()[-1]
    explain = (
        "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT * FROM reporting.records"
    )
    try:
        plans = {}
        for record_id in ("s0", "s3", "nothing"):  # alice's, carol's (hidden from bob), none
            found = psql(url, f"{explain} WHERE app = 'sales' AND id = '{record_id}'")
            assert found.returncode == 0, found.stderr
            plans[record_id] = found.stdout.replace(f"'{record_id}'", "'?'")
        assert plans["s0"] == plans["nothing"] and plans["s3"] == plans["nothing"]
        # Nor do the planner's estimates, read from the table's statistics, count an app's
        # records: every app (and every time) is estimated alike.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE records_record")
        explain = "EXPLAIN SELECT * FROM reporting.records WHERE "
        estimates = {
            condition: psql(url, explain + condition).stdout.splitlines()[0].split("rows=")[1]
            for condition in ("app = 'sales'", "app = 'nothing'", "created < now()")
        }
        assert len(set(estimates.values())) == 1, estimates
    finally:
        call_command("reporting_role", "bob", "--revoke", stdout=io.StringIO())


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not ON_POSTGRES, reason="a PostgreSQL feature")
def test_a_login_outliving_its_user_or_its_row_reads_nothing(sales, user_factory):
    """A user deleted, then an account made again under their name (sign-up is open), does not
    bring the old login back; a login role whose row is gone (a `flush`, a restore) is nobody,
    whatever `site.caller` it sets."""
    from records.models import ReportingLogin

    out = io.StringIO()
    call_command("reporting_role", "bob", stdout=out)
    url = out.getvalue().splitlines()[-1]
    forged = "SET site.caller = '{\"trusted\": true}'; SELECT id, items FROM reporting.records"
    try:
        assert sorted(rows(psql(url, forged))) == ["s1"]
        sales["bob"].delete()
        assert rows(psql(url, forged)) == {}
        user_factory("bob", groups=["admins"])  # someone else, who happens to take the name
        assert rows(psql(url, forged)) == {}
        with rls.trusted():
            ReportingLogin.objects.all().delete()
        assert rows(psql(url, forged)) == {}
    finally:
        call_command("reporting_role", "bob", "--revoke", stdout=io.StringIO())


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not ON_POSTGRES, reason="a PostgreSQL feature")
def test_no_login_is_made_while_every_role_may_create_in_schema_public(sales):
    """PostgreSQL before 15 let every role create in `public`: a login could plant a function
    there (`lower(varchar)`) that the site's own queries would call as the site."""
    with connection.cursor() as cursor:
        cursor.execute("GRANT CREATE ON SCHEMA public TO PUBLIC")
    try:
        with pytest.raises(CommandError, match="REVOKE CREATE ON SCHEMA public FROM PUBLIC"):
            call_command("reporting_role", "bob", stdout=io.StringIO())
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_roles WHERE rolname LIKE 'reporting_bob_%%'")
            assert cursor.fetchone() is None
    finally:
        with connection.cursor() as cursor:
            cursor.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not ON_POSTGRES, reason="a PostgreSQL feature")
def test_a_login_loses_at_once_what_its_user_loses(sales):
    """Groups taken away, or superuser status, hold for the login without a refresh (what the
    user gains waits for the next `reporting_role`)."""
    from django.contrib.auth.models import Group

    bob = sales["bob"]
    bob.groups.add(Group.objects.get_or_create(name="admins")[0])
    out = io.StringIO()
    call_command("reporting_role", "bob", stdout=out)
    url = out.getvalue().splitlines()[-1]
    query = "SELECT id, items FROM reporting.records"
    try:
        seen = rows(psql(url, query))
        assert sorted(seen) == ["s0", "s1", "s2", "s3"] and "margin" in seen["s0"]
        bob.groups.clear()
        assert rows(psql(url, query)) == {"s1": {"amount": 100, "salesman": "bob"}}
        bob.is_superuser = True
        bob.save()
        again = io.StringIO()
        call_command("reporting_role", "bob", stdout=again)  # a superuser's login: every row
        url = again.getvalue().splitlines()[-1]
        assert sorted(rows(psql(url, query))) == ["s0", "s1", "s2", "s3"]
        bob.is_superuser = False
        bob.save()
        assert rows(psql(url, query)) == {}  # less than either: nothing until refreshed
    finally:
        call_command("reporting_role", "bob", "--revoke", stdout=io.StringIO())
