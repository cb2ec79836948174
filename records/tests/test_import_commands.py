"""`manage.py import_records` and `export_records` (contract §9), as the site's superuser."""

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from records.models import Record

pytestmark = pytest.mark.django_db


def run(*args) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
    except SystemExit as exc:
        return exc.code, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


@pytest.fixture
def orders(tmp_path):
    def write(text: str, name: str = "orders.csv"):
        path = tmp_path / name
        path.write_text(text)
        return str(path)

    return write


def test_import_records_writes_every_row_and_shows_progress(records_site, orders):
    status, out, err = run("import_records", "sales", orders("title,price\npen,2\nink,3\n"))
    assert status == 0
    assert out == "import of orders.csv: 2 rows: created 2, updated 0, skipped 0, problems 0\n"
    assert "[" + "#" * 30 + "] 2/2 rows checked" in err
    assert sorted(Record.objects.values_list("items__title", flat=True)) == ["ink", "pen"]


def test_import_records_prints_each_problem_and_exits_1(records_site, orders):
    status, out, _ = run("import_records", "sales", orders("title,price,colour\npen,cheap,red\n"))
    assert status == 1
    assert out.splitlines() == [
        "row 0: colour: unknown column: app 'sales' has no input 'colour'",
        "row 1: price: type: NUMBER takes a number, found a string 'cheap'",
        "import of orders.csv: 1 rows: created 0, updated 0, skipped 0, problems 2",
    ]
    assert not Record.objects.exists()


def test_a_dry_run_writes_nothing_and_updates_follow_on_conflict(records_site, orders, make_record):
    make_record("sales", "r1", {"title": "old"})
    path = orders("id,title\nr1,new\nr2,fresh\n")
    status, out, _ = run("import_records", "sales", path, "--dry-run", "--on-conflict", "update")
    assert (status, Record.objects.count()) == (0, 1)
    assert out.startswith("dry run of orders.csv")
    assert run("import_records", "sales", path, "--on-conflict", "update")[0] == 0
    assert Record.objects.get(record_id="r1").items["title"] == "new"


def test_import_records_refuses_an_unknown_app_and_an_unreadable_file(records_site, orders):
    with pytest.raises(CommandError, match="no app 'nope' in the site"):
        call_command("import_records", "nope", orders("title\n"))
    with pytest.raises(CommandError, match="not valid UTF-8"):
        path = orders("x")
        with open(path, "wb") as file:
            file.write(b"title\n\xff\n")
        call_command("import_records", "sales", path)


def test_export_records_writes_the_export_to_stdout(records_site, make_record):
    make_record("sales", "a", {"title": "=x"})
    status, out, _ = run("export_records", "sales", "--format", "json")
    assert (status, json.loads(out)) == (0, [{"id": "a", "title": "=x"}])
    status, out, _ = run("export_records", "sales")
    assert out.splitlines() == ["id,title", "a,'=x"]
