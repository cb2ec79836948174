"""The PostgreSQL backend's caller (site_config/postgresql, contract §12): set with the
statement that first needs it, in one round trip, and every statement still answered as
Django's backend answers it."""

from __future__ import annotations

import json
import os
import re
import tempfile

import psycopg
import pytest
from django.db import IntegrityError, connection, transaction

from records import rls
from records.models import Record

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="the caller is a PostgreSQL feature (row-level security)",
    ),
]


def another_trusted_caller(n: int) -> str:
    """A caller the policies trust, as text unlike any other: the backend sets it anew."""
    return json.dumps({"trusted": True, "n": n})


def round_trips_while(action) -> int:
    """How many times the client waited on the server during `action`: the messages that
    close a request in libpq's trace of the connection (a simple query's Query, an extended
    one's Sync; a pipeline sends one Sync for all it holds)."""
    connection.ensure_connection()
    pgconn = connection.connection.pgconn
    with tempfile.TemporaryFile("w+") as trace:
        pgconn.trace(trace.fileno())
        try:
            action()
        finally:
            pgconn.untrace()
        trace.seek(0)
        return sum(1 for line in trace if re.search(r"\tF\t\d+\t(Query|Sync)\b", line))


def test_the_caller_travels_with_the_statement_that_needs_it():
    Record.objects.create(app_id="shop", record_id="r1", block_id="sale", items={})

    def read_as_a_new_caller():
        with rls.acting_as(another_trusted_caller(1)):
            assert Record.objects.filter(record_id="r1").count() == 1

    assert round_trips_while(read_as_a_new_caller) == 1


def test_an_error_of_a_pipelined_statement_is_djangos():
    with rls.acting_as(another_trusted_caller(1)):
        Record.objects.create(app_id="shop", record_id="r1", block_id="sale", items={})
    with rls.acting_as(another_trusted_caller(2)), pytest.raises(IntegrityError):
        with transaction.atomic():
            Record.objects.create(app_id="shop", record_id="r1", block_id="sale", items={})
    with rls.acting_as(another_trusted_caller(3)):
        assert Record.objects.filter(record_id="r1").count() == 1


def test_a_server_side_cursor_reads_as_its_caller():
    Record.objects.bulk_create(
        Record(app_id="shop", record_id=f"r{i}", block_id="sale", items={}) for i in range(5)
    )
    with rls.acting_as(another_trusted_caller(1)):
        found = [r.record_id for r in Record.objects.order_by("pk").iterator(chunk_size=2)]
    assert found == [f"r{i}" for i in range(5)]
    with rls.acting_as(rls.NOBODY):  # deny by default, through the same cursor kind
        assert list(Record.objects.iterator(chunk_size=2)) == []


def test_several_commands_in_one_string_still_run():
    Record.objects.create(app_id="shop", record_id="r1", block_id="sale", items={})
    with rls.acting_as(another_trusted_caller(1)), connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM records_record; SELECT COUNT(*) FROM records_record")
        assert cursor.fetchone() is not None


@pytest.mark.django_db(transaction=True)
def test_a_statement_outside_any_transaction_gets_its_own_with_the_caller():
    with rls.trusted():
        Record.objects.create(app_id="shop", record_id="r1", block_id="sale", items={})

    assert connection.get_autocommit()
    with rls.acting_as(another_trusted_caller(1)):
        assert Record.objects.filter(record_id="r1").count() == 1
    assert connection.connection.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
    with rls.acting_as(rls.NOBODY):  # the caller went with its transaction
        assert Record.objects.filter(record_id="r1").count() == 0


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_caller_and_its_statement_take_one_round_trip():
    """A request opens no transaction (web.middleware.RowSecurityMiddleware): each statement
    takes its caller in the same round trip, in the implicit transaction of psycopg's pipeline,
    with no BEGIN or COMMIT of its own."""
    with rls.trusted():
        Record.objects.create(app_id="shop", record_id="r1", block_id="sale", items={})
    assert connection.get_autocommit()

    def read_twice_as_new_callers():
        for n in (1, 2):
            with rls.acting_as(another_trusted_caller(n)):
                assert Record.objects.filter(record_id="r1").count() == 1

    assert round_trips_while(read_twice_as_new_callers) == 2
    assert connection.connection.info.transaction_status == psycopg.pq.TransactionStatus.IDLE


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_a_failed_statement_leaves_the_connection_usable():
    with rls.trusted():
        Record.objects.create(app_id="shop", record_id="r1", block_id="sale", items={})
    with rls.acting_as(another_trusted_caller(1)), pytest.raises(IntegrityError):
        Record.objects.create(app_id="shop", record_id="r1", block_id="sale", items={})
    assert connection.connection.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
    with rls.acting_as(another_trusted_caller(2)):
        assert Record.objects.filter(record_id="r1").count() == 1
    with rls.acting_as(rls.NOBODY):  # the caller of the failed statement went with it
        assert Record.objects.filter(record_id="r1").count() == 0


def test_a_statement_sent_with_its_caller_answers_and_logs_as_alone():
    from django.test.utils import CaptureQueriesContext

    Record.objects.bulk_create(
        Record(app_id="shop", record_id=f"r{i}", block_id="sale", items={}) for i in range(3)
    )
    with rls.acting_as(another_trusted_caller(1)), CaptureQueriesContext(connection) as seen:
        updated = Record.objects.filter(record_id__in=["r0", "r1"]).update(block_id="other")
    assert updated == 2  # the UPDATE's row count, not set_config's
    assert [q["sql"] for q in seen.captured_queries] == [
        'UPDATE "records_record" SET "block_id" = \'other\''
        " WHERE \"records_record\".\"record_id\" IN ('r0', 'r1')"
    ]
    # No parameters: a % in the statement is its own (a LIKE pattern); parameters by name.
    with rls.acting_as(another_trusted_caller(2)), connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM records_record WHERE record_id LIKE 'r%'")
        assert cursor.fetchone() == (3,)
    with rls.acting_as(another_trusted_caller(3)), connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM records_record WHERE block_id = %(block)s", {"block": "other"}
        )
        assert cursor.fetchone() == (2,)


def test_a_caller_sent_as_sql_text_arrives_as_it_was():
    """The caller goes into the statement's text (`CallerCursor`): a quote, a backslash or a
    percent sign in a name (a profile value, an e-mail address) reaches the server unchanged
    and ends nothing early."""
    tricky = json.dumps(
        {"trusted": True, "profile": ["team:O'Brien", "path:C:\\temp", "rate:100%"], "x": "');--"}
    )
    with rls.acting_as(tricky), connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting(%s, true), count(*) FROM records_record", [rls.SETTING]
        )
        assert cursor.fetchone() == (tricky, 0)
