"""Deep offsets through the span counts (issue 12): the counts follow every write, whoever
makes it, and a page found through them is the page a walk over every record finds."""

import re
from collections import Counter

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from records.models import SPAN_BITS, Record, RecordSpan
from tests.helpers import ids

pytestmark = pytest.mark.django_db(transaction=True)


def counted():
    return {(s.app_id, s.span): s.count for s in RecordSpan.objects.all() if s.count}


def truth():
    return dict(
        Counter((app, pk >> SPAN_BITS) for app, pk in Record.objects.values_list("app_id", "pk"))
    )


def create(editor, app, first, count):
    body = [{"id": f"{app[0]}{n:05}"} for n in range(first, first + count)]
    assert editor.send("POST", f"/api/v1/{app}/records", body).status_code == 201


def test_span_counts_follow_every_way_a_record_is_written(editor, make_record):
    create(editor, "sales", 0, 1500)  # one bulk request: spans 0 and 1
    assert truth() and counted() == truth()
    make_record("open", "single")
    assert editor.send("PUT", "/api/v1/sales/record/put-one", {}).status_code == 201
    Record.objects.bulk_create(Record(app_id="open", record_id=f"orm{n}") for n in range(700))
    assert counted() == truth()
    assert editor.delete("/api/v1/sales/record/s00010").status_code == 200
    Record.objects.filter(app_id="sales", record_id__startswith="s001").delete()
    assert counted() == truth()
    Record.objects.filter(app_id="open", record_id__startswith="orm1").update(app_id="public")
    Record.objects.filter(record_id="orm5").update(id=10**6)
    assert counted() == truth()
    spans = counted()
    assert {app for app, _ in spans} == {"sales", "open", "public"}
    assert len({span for app, span in spans if app == "sales"}) >= 2
    assert spans[("open", 10**6 >> SPAN_BITS)] == 1


def test_span_counts_follow_a_whole_table_emptied(editor):
    create(editor, "sales", 0, 1500)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE records_record CASCADE")
    else:  # no TRUNCATE: a delete of every row, and its cascade
        Record.objects.all().delete()
    assert counted() == truth() == {}
    create(editor, "sales", 0, 1100)
    assert counted() == truth()
    page = editor.get("/api/v1/sales/records?limit=3&offset=1050")
    assert ids(page) == expected_ids("sales", 1050, 3)


def expected_ids(app, offset, limit, reverse=False):
    order = "-pk" if reverse else "pk"
    rows = Record.objects.filter(app_id=app).order_by(order).values_list("record_id", flat=True)
    return list(rows[offset : offset + limit])


def test_a_deep_page_is_the_page_a_walk_over_every_record_finds(editor):
    # The app's records interleave with another app's, and some are gone, so that spans
    # hold fewer than 1,024 of them and a page may start in one span and end in the next.
    for first in range(0, 2400, 600):
        create(editor, "sales", first, 600)
        create(editor, "public", first, 300)
    Record.objects.filter(app_id="sales", record_id__regex=r"^s0(04|13|21)").delete()
    total = Record.objects.filter(app_id="sales").count()
    assert len({pk >> SPAN_BITS for pk in Record.objects.values_list("pk", flat=True)}) >= 3
    for offset in (1000, 1019, 1020, 1024, 1500, 2000, total - 3, total, total + 50):
        response = editor.get(f"/api/v1/sales/records?limit=7&offset={offset}")
        assert ids(response) == expected_ids("sales", offset, 7), offset
        assert ("Link" in response) == (offset + 7 < total), offset
    for offset in (1000, 1700, total - 1):
        body = {"reverse": True, "limit": 5, "offset": offset}
        found = ids(editor.post_json("/api/v1/sales/search", body))
        assert found == expected_ids("sales", offset, 5, reverse=True), offset


def test_a_deep_offset_sums_the_spans_instead_of_stepping_over_the_records(
    editor, django_assert_max_num_queries
):
    create(editor, "sales", 0, 3000)
    # PostgreSQL: and the request's own BEGIN and COMMIT (row-level security's caller, §12)
    budget = 3 + (2 if connection.vendor == "postgresql" else 0)
    with django_assert_max_num_queries(budget), CaptureQueriesContext(connection) as ran:
        response = editor.get("/api/v1/sales/records?limit=10&offset=2500")
    assert ids(response) == expected_ids("sales", 2500, 10)
    statements = [q["sql"] for q in ran.captured_queries]
    assert any(RecordSpan._meta.db_table in sql for sql in statements)
    page = next(sql for sql in statements if "items" in sql and "records_record" in sql)
    offsets = [int(n) for n in re.findall(r"OFFSET (\d+)", page)]
    assert all(n < 1 << SPAN_BITS for n in offsets), page


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="concurrent writers are PostgreSQL's: SQLite's take turns (and its test database, "
    "in memory with a shared cache, refuses a second writer instead of queueing it)",
)
def test_span_counts_stay_right_under_concurrent_creates_and_deletes(
    api_client, records_site, users
):
    """`users` before the threads: the client maker would otherwise make them from a thread,
    and pytest's fixtures are not for threads."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connections

    def writer(n):
        client = api_client("editor")
        try:
            for round_ in range(6):
                first = n * 1000 + round_ * 40
                create(client, "sales", first, 40)
                for gone in range(first, first + 40, 3):
                    assert client.delete(f"/api/v1/sales/record/s{gone:05}").status_code == 200
        finally:
            connections.close_all()

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(writer, range(4)))
    assert Record.objects.filter(app_id="sales").count() == 4 * 6 * (40 - 14)
    assert counted() == truth()
