"""Import, export and jobs through HTTP (contract §9): the routes, the checks of every row, all
or nothing, the bad files, the round trip. Jobs run as they are enqueued (settings.TASKS
under pytest); tests/deploy/test_jobs_worker.py runs a real worker and kills it."""

import csv
import io
import json
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from api.openapi_methods import without_twins
from records.models import Job, Record


def upload(client, app, name, content: bytes, **options):
    data = {"file": SimpleUploadedFile(name, content), **options}
    return client.post(f"/api/v1/{app}/import", data)


def job_of(client, response) -> dict:
    assert response.status_code == 202, response.content
    body = response.json()
    assert response["Location"] == body["url"] == f"/api/v1/jobs/{body['job']}"
    answer = client.get(body["url"])
    assert answer.status_code == 200, answer.content
    return answer.json()


def csv_bytes(rows: list[list]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


def titles(app="sales") -> list[str]:
    return sorted(r.items.get("title", "") for r in Record.objects.filter(app_id=app))


@pytest.fixture
def author(api_client, records_site):
    return api_client("author")


# --- import -------------------------------------------------------------------------------------


def test_a_csv_file_is_imported_as_a_job_its_creator_reads(author):
    content = csv_bytes([["title", "price", "quantity"], ["pen", "2.5", "4"], ["ink", "7", ""]])
    job = job_of(author, upload(author, "sales", "orders.csv", content))
    assert job == {
        "id": job["id"],
        "state": "done",
        "done": 2,
        "total": 2,
        "created": 2,
        "updated": 0,
        "skipped": 0,
        "problems": [],
    }
    pen = Record.objects.get(app_id="sales", items__title="pen")
    assert pen.items == {"title": "pen", "price": 2.5, "quantity": 4, "_author": "author"}
    assert Record.objects.get(items__title="ink").items == {
        "title": "ink",
        "price": 7,
        "_author": "author",
    }


def test_an_imported_record_and_an_imported_update_are_versions_made_via_import(author):
    rows = {"rows": [{"id": "o-1", "title": "a"}], "on_conflict": "update"}
    assert job_of(author, author.post_json("/api/v1/sales/import", rows))["created"] == 1
    rows["rows"][0]["title"] = "b"
    assert job_of(author, author.post_json("/api/v1/sales/import", rows))["updated"] == 1
    history = author.get("/api/v1/sales/record/o-1/history").json()
    assert [(v["via"], v["by"], v["changes"].get("title")) for v in history] == [
        ("import", "author", ["a", "b"]),
        ("import", "author", [None, "a"]),
    ]


def test_a_json_body_of_rows_with_ids_is_imported(author):
    response = author.post_json(
        "/api/v1/sales/import", {"rows": [{"id": "o-1", "title": "a"}, {"title": "b"}]}
    )
    assert job_of(author, response)["created"] == 2
    assert Record.objects.get(app_id="sales", record_id="o-1").items["title"] == "a"


def test_an_xlsx_first_sheet_is_imported(author):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["title", "price"])
    sheet.append(["desk", 120])
    sheet.append(["=1+1", 3.5])
    sheet["A3"].data_type = "s"  # text that looks like a formula, as an export writes it
    workbook.create_sheet("ignored").append(["title"])
    out = io.BytesIO()
    workbook.save(out)
    job = job_of(author, upload(author, "sales", "orders.xlsx", out.getvalue()))
    assert (job["state"], job["created"]) == ("done", 2)
    assert Record.objects.get(items__title="desk").items["price"] == 120
    assert titles() == ["=1+1", "desk"]


def test_a_dry_run_names_every_problem_and_writes_nothing(author):
    content = csv_bytes(
        [["title", "price", "colour"], ["ok", "1", ""], ["bad", "cheap", ""], ["x", "1", "red"]]
    )
    job = job_of(author, upload(author, "sales", "o.csv", content, dry_run="true"))
    assert job["state"] == "done"
    assert job["problems"] == [
        {"row": 0, "item": "colour", "error": "unknown column: app 'sales' has no input 'colour'"},
        {
            "row": 2,
            "item": "price",
            "error": "type: NUMBER takes a number, found a string 'cheap'",
        },
    ]
    assert (job["done"], job["total"], job["created"]) == (3, 3, 0)
    assert not Record.objects.exists()


def test_any_problem_fails_the_whole_import(author):
    content = csv_bytes([["title", "price"], ["ok", "1"], ["bad", "cheap"]])
    job = job_of(author, upload(author, "sales", "o.csv", content))
    assert job["state"] == "failed"
    assert [p["row"] for p in job["problems"]] == [2]
    assert not Record.objects.exists()


@pytest.mark.parametrize(
    ("on_conflict", "state", "counts", "title"),
    [
        ("fail", "failed", (0, 0, 0), "old"),
        ("skip", "done", (1, 0, 1), "old"),
        ("update", "done", (1, 1, 0), "new"),
    ],
)
def test_on_conflict_decides_rows_whose_id_exists(
    author, make_record, users, on_conflict, state, counts, title
):
    make_record("sales", "r1", {"title": "old"}, author=users["author"])
    rows = [{"id": "r1", "title": "new"}, {"id": "r2", "title": "fresh"}]
    body = {"rows": rows, "on_conflict": on_conflict}
    job = job_of(author, author.post_json("/api/v1/sales/import", body))
    assert job["state"] == state
    assert (job["created"], job["updated"], job["skipped"]) == counts
    assert Record.objects.get(record_id="r1").items["title"] == title
    if on_conflict == "fail":
        assert job["problems"] == [
            {"row": 1, "item": "id", "error": "record 'r1' exists already in app 'sales'"}
        ]


def test_an_author_may_not_import_rows_of_another_author(author, users):
    rows = [{"title": "mine"}, {"title": "theirs", "_author": "author2"}]
    job = job_of(author, author.post_json("/api/v1/sales/import", {"rows": rows}))
    assert job["state"] == "failed"
    assert job["problems"] == [
        {
            "row": 2,
            "item": "_author",
            "error": "the author is the server's: a row may not name another author",
        }
    ]
    assert not Record.objects.exists()


def test_an_update_touches_only_rows_the_author_may_edit(api_client, owned_app, make_record, users):
    make_record("owned", "mine", {"amount": 1}, author=users["author"])
    make_record("owned", "theirs", {"amount": 2}, author=users["author2"])
    client = api_client("author")
    rows = [{"id": "mine", "amount": 10}, {"id": "theirs", "amount": 20}]
    body = {"rows": rows, "on_conflict": "update"}
    job = job_of(client, client.post_json("/api/v1/owned/import", body))
    assert job["state"] == "failed"
    assert job["problems"] == [
        {"row": 2, "item": "id", "error": "no record 'theirs' in app 'owned'"}
    ]
    amounts = dict(Record.objects.filter(app_id="owned").values_list("record_id", "items__amount"))
    assert amounts == {"mine": 1, "theirs": 2}


def test_a_reader_may_not_import_and_an_anonymous_caller_must_sign_in(api_client, records_site):
    body = {"rows": [{"title": "x"}]}
    assert api_client("reader").post_json("/api/v1/sales/import", body).status_code == 403
    assert api_client().post_json("/api/v1/sales/import", body).status_code == 401
    assert not Job.objects.exists()


def test_a_job_is_shown_to_its_creator_and_superusers_only(author, api_client, users):
    response = author.post_json("/api/v1/sales/import", {"rows": [{"title": "x"}]})
    url = response.json()["url"]
    assert api_client("author2").get(url).status_code == 404
    assert api_client().get(url).status_code == 404
    assert api_client("root").get(url).status_code == 200
    assert author.get("/api/v1/jobs/nothere").json() == {"error": "no job 'nothere'"}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"rows": "x"}, "found rows as a string"),
        ({"rows": [1]}, "row 1: a row must be a JSON object of items"),
        ({"rows": [], "on_conflict": "merge"}, "on_conflict must be one of fail, skip, update"),
        ({"rows": [], "block": "nope"}, "block: no block 'nope' in app 'sales'"),
        ({"rows": [], "block": "secret"}, "block: no block 'secret' in app 'sales'"),
        ({"rows": [], "dry_run": "maybe"}, "dry_run must be true or false"),
        ({"rows": [], "colour": 1}, "unknown import option 'colour'"),
    ],
)
def test_a_bad_body_or_option_is_a_400(author, body, message):
    response = author.post_json("/api/v1/sales/import", body)
    assert response.status_code == 400
    assert message in response.json()["error"]
    assert not Job.objects.exists()


# --- bad files ---------------------------------------------------------------------------------


def failed_with(client, response) -> str:
    job = job_of(client, response)
    assert job["state"] == "failed", job
    assert not Record.objects.exists()
    return job["problems"][0]["error"]


def test_a_csv_in_another_encoding_fails_naming_the_byte(author):
    content = "title\ncafé\n".encode("latin-1")
    error = failed_with(author, upload(author, "sales", "o.csv", content))
    assert error == "the file is not valid UTF-8 (bad byte 0xe9 on line 2): save it as UTF-8"


def test_a_row_of_10_mb_fails_the_job(author):
    content = b"title\nsmall\n" + b"x" * (10 * 2**20) + b"\n"
    error = failed_with(author, upload(author, "sales", "o.csv", content))
    assert error == "row 2: a cell holds more than 1024 KB, the most a row may hold"


def test_more_rows_than_the_limit_fail_with_the_limit(author, settings):
    settings.IMPORT_MAX_ROWS = 5
    content = csv_bytes([["title"]] + [[f"t{n}"] for n in range(6)])
    error = failed_with(author, upload(author, "sales", "o.csv", content))
    assert (
        error == "the file holds more rows: an import takes at most 5; split it into several files"
    )
    response = author.post_json("/api/v1/sales/import", {"rows": [{}] * 6})
    assert response.status_code == 400
    assert "holds 6 rows: an import takes at most 5" in response.json()["error"]


def test_two_million_rows_are_refused_with_the_limit(author):
    content = b"title\n" + b"t\n" * 2_000_000
    error = failed_with(author, upload(author, "sales", "o.csv", content))
    assert "an import takes at most 1000000" in error


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("o.csv", b"PK\x03\x04rest", "is not CSV text: it holds binary data (a ZIP archive"),
        ("o.xlsx", b"title\nx\n", "is not an XLSX workbook (not a ZIP archive)"),
        ("o.json", b"title\nx\n", "is not JSON: it must hold a list of objects"),
        ("o.txt", b"title\nx\n", "names no format: send a .csv, .json or .xlsx file"),
    ],
)
def test_a_file_that_is_not_what_its_name_says_is_a_400(author, name, content, message):
    response = upload(author, "sales", name, content)
    assert response.status_code == 400
    assert message in response.json()["error"]


def test_a_broken_xlsx_and_an_xlsx_bomb_fail_the_job(author):
    error = failed_with(author, upload(author, "sales", "o.xlsx", b"PK\x03\x04broken"))
    assert "broken ZIP archive" in error
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"<" + b" " * (64 * 2**20))
    error = failed_with(author, upload(author, "sales", "o.xlsx", bomb.getvalue()))
    assert "refused as a ZIP bomb" in error


def test_a_json_file_of_the_wrong_shape_fails_the_job(author):
    error = failed_with(author, upload(author, "sales", "o.json", b'{"rows": 3}'))
    assert error == "the JSON must be a list of objects, one a row"


# --- export -----------------------------------------------------------------------------------


def download(client, app, **query):
    response = client.get(f"/api/v1/{app}/export", query)
    assert response.status_code == 200, response.content
    return response, b"".join(response.streaming_content)


def test_a_csv_export_has_a_header_of_every_item_and_escapes_formulas(author, make_record, users):
    make_record(
        "sales", "a", {"title": '=HYPERLINK("http://x")', "price": -3}, author=users["author"]
    )
    make_record("sales", "b", {"title": "plain", "tags": ["x", "y"]}, author=users["author"])
    response, content = download(author, "sales", format="csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="sales-')
    rows = list(csv.reader(io.StringIO(content.decode())))
    # Item names in first-seen order: PostgreSQL's jsonb keeps an object's keys in its own.
    assert rows[0][0] == "id" and rows[0][-1] == "tags"
    assert [dict(zip(rows[0], row, strict=True)) for row in rows[1:]] == [
        {
            "id": "a",
            "title": '\'=HYPERLINK("http://x")',
            "price": "'-3",
            "_author": "author",
            "tags": "",
        },
        {"id": "b", "title": "plain", "price": "", "_author": "author", "tags": '["x", "y"]'},
    ]


def test_an_export_holds_only_the_rows_the_caller_may_read(
    api_client, owned_app, make_record, users
):
    make_record("owned", "mine", {"amount": 1}, author=users["author"])
    make_record("owned", "theirs", {"amount": 2}, author=users["author2"])
    _, content = download(api_client("author"), "owned", format="json")
    assert json.loads(content) == [{"id": "mine", "amount": 1, "_author": "author"}]
    _, content = download(api_client("editor"), "owned", format="json")
    assert [row["id"] for row in json.loads(content)] == ["mine", "theirs"]


def test_an_export_with_a_query_holds_what_search_finds(author, make_record, users):
    for n in range(5):
        make_record("sales", f"r{n}", {"price": n}, author=users["author"])
    _, content = download(author, "sales", format="json", query="price >= 3")
    assert [row["id"] for row in json.loads(content)] == ["r3", "r4"]


def test_an_export_pages_through_every_record(author, users, settings):
    from records import exports

    body = {"rows": [{"title": f"t{n}"} for n in range(2 * exports.PAGE + 5)]}
    job_of(author, author.post_json("/api/v1/sales/import", body))
    _, content = download(author, "sales", format="csv")
    assert len(content.decode().splitlines()) == 2 * exports.PAGE + 6


def test_an_xlsx_export_keeps_formulas_as_text(author, make_record, users):
    make_record("sales", "a", {"title": "=1+1", "price": 2}, author=users["author"])
    response, content = download(author, "sales", format="xlsx")
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    title = next(cell for cell in sheet[1] if cell.value == "title").column_letter
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert dict(zip(rows[0], rows[1], strict=True)) == {
        "id": "a",
        "title": "=1+1",
        "price": 2,
        "_author": "author",
    }
    assert sheet[f"{title}2"].data_type == "s"


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ({"format": "pdf"}, 400, "format must be one of csv, json, xlsx"),
        ({"query": "price >>> 3"}, 400, ""),
    ],
)
def test_a_bad_export_request_is_a_400(author, query, status, message):
    response = author.get("/api/v1/sales/export", query)
    assert response.status_code == status
    assert message in response.json()["error"]


def test_export_needs_the_view_right(api_client, records_site):
    assert api_client().get("/api/v1/sales/export").status_code == 401
    assert api_client("stranger").get("/api/v1/sales/export").status_code == 403


# Stored items as clients may send them, written past the checks (any JSON a record may hold),
# one of them by the database's own JSON functions (SQLite writes that text without spaces).
ODD_ITEMS = [
    {"title": "plain", "price": 3},
    {},
    {"title": "\u00e9 \u2603", "price": 1.5},
    {"price": 1e-05, "x": 1e20, "y": 0.30000000000000004, "z": -0.0, "w": 10**30},
    {"note": 'quo"te\nnew\\line\x01\x7f/', "tags": ["a", {"b": None, "c": True}]},
    {"zz": 1, "a": 2, "title": "=1+1", "nested": {"k": [1, 2.25, "s"]}},
    {"title": "Item number 5", "quantity": 5, "list": [], "empty": ""},
]


@pytest.fixture
def odd_records(make_record, users):
    from django.db import connection

    for n, items in enumerate(ODD_ITEMS):
        make_record("sales", f"r{n}", {"title": "seed"}, author=users["author"])
        Record.objects.filter(app_id="sales", record_id=f"r{n}").update(items=items)
    set_item = "json_set(items, '$.q', 5)"
    if connection.vendor == "postgresql":
        set_item = "jsonb_set(items, '{q}', to_jsonb(1.50))"
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE records_record SET items = {set_item} WHERE record_id = 'r0'")  # noqa: S608
    return [(r.record_id, r.items) for r in Record.objects.filter(app_id="sales").order_by("pk")]


def test_a_json_export_writes_each_row_as_json_dumps_of_its_items(author, odd_records, monkeypatch):
    """Rows sent as the database stores them (when that is json.dumps's text) or parsed and
    written again: the same bytes either way, on both engines. A page a record, so that each
    row is judged alone (a page with one row to rewrite is rewritten whole)."""
    from records import exports

    monkeypatch.setattr(exports, "PAGE", 1)
    _, content = download(author, "sales", format="json")
    rows = [json.dumps({"id": record_id, **items}) for record_id, items in odd_records]
    assert content.decode() == "[\n" + ",\n".join(rows) + "\n]\n"


def test_a_csv_header_names_items_in_the_order_first_seen(author, odd_records):
    _, content = download(author, "sales", format="csv")
    seen = {}
    for _, items in odd_records:
        seen.update(dict.fromkeys(name for name in items if name not in seen))
    assert next(csv.reader(io.StringIO(content.decode()))) == ["id", *seen]


@pytest.mark.parametrize("fmt", ["csv", "json", "xlsx"])
def test_an_export_imported_again_with_update_changes_nothing(author, fmt):
    rows = [
        {"id": "a", "title": "=cell", "price": -2.5, "quantity": 3},
        {"id": "b", "title": 'it\'s, "quoted"\nnewline', "price": 0},
        {"id": "c", "title": "tags", "price": 1, "due": "2026-01-02T03:04:05+00:00"},
    ]
    job_of(author, author.post_json("/api/v1/sales/import", {"rows": rows}))
    before = {r.record_id: (r.items, r.version) for r in Record.objects.all()}
    _, content = download(author, "sales", format=fmt)
    job = job_of(author, upload(author, "sales", f"back.{fmt}", content, on_conflict="update"))
    assert (job["state"], job["problems"]) == ("done", [])
    assert (job["created"], job["updated"], job["skipped"]) == (0, 0, 3)
    assert {r.record_id: (r.items, r.version) for r in Record.objects.all()} == before


def test_a_job_whose_worker_died_twice_fails_naming_why(author, users):
    import socket

    dead = subprocess_pid_that_exited()
    job = Job.objects.create(
        app_id="sales",
        creator=users["author"],
        state="running",
        attempts=2,
        worker=f"{socket.gethostname()}:{dead}",
        source=b"title\nx\n",
        source_format="csv",
    )
    answer = author.get(f"/api/v1/jobs/{job.pk}").json()
    assert answer["state"] == "failed"
    assert answer["problems"] == [
        {
            "row": 0,
            "item": "",
            "error": "the worker running this job stopped 2 times (killed, or out of memory); "
            "nothing was written",
        }
    ]


def subprocess_pid_that_exited() -> int:
    import subprocess
    import sys

    process = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )  # noqa: S603
    return int(process.stdout)


# --- the description ----------------------------------------------------------------------------


def described(client, app="sales") -> dict:
    from openapi_spec_validator import validate

    document = client.get(f"/api/v1/{app}/openapi.json").json()
    validate(document)
    return document


def test_the_description_offers_import_and_jobs_to_authors_and_export_to_readers(
    api_client, author
):
    paths = without_twins(described(author)["paths"])
    assert set(paths["/sales/import"]) == {"post"}
    assert set(paths["/jobs/{job_id}"]) == {"get"}
    assert set(paths["/sales/export"]) == {"get"}
    reader_paths = described(api_client("reader"))["paths"]
    assert "/sales/export" in reader_paths
    assert "/sales/import" not in reader_paths and "/jobs/{job_id}" not in reader_paths


def test_the_answers_of_import_and_jobs_are_what_the_description_says(author):
    from jsonschema import Draft202012Validator

    document = described(author)
    schemas = document["components"]["schemas"]

    def check(value, name):
        Draft202012Validator(schemas[name]).validate(value)

    operation = document["paths"]["/sales/import"]["post"]
    assert set(operation["responses"]) >= {"202", "400", "401", "403", "413"}
    content = operation["requestBody"]["content"]
    assert set(content) == {"multipart/form-data", "application/json"}
    assert set(content["application/json"]["schema"]["properties"]) == {
        "rows",
        "block",
        "dry_run",
        "on_conflict",
    }
    response = upload(author, "sales", "o.csv", b"title,price\nx,cheap\n", dry_run="true")
    check(response.json(), "JobQueued")
    job = author.get(response["Location"]).json()
    check(job, "Job")
    assert job["problems"]
    bad = author.post_json("/api/v1/sales/import", {"rows": [], "on_conflict": "x"})
    assert str(bad.status_code) in operation["responses"]
    export = document["paths"]["/sales/export"]["get"]
    assert [p["name"] for p in export["parameters"]] == ["format", "query"]
    assert export["parameters"][0]["schema"]["enum"] == ["csv", "json", "xlsx"]
    for fmt, media in (
        ("csv", "text/csv"),
        ("json", "application/json"),
        ("xlsx", "spreadsheetml"),
    ):
        response = author.get("/api/v1/sales/export", {"format": fmt})
        assert media in response["Content-Type"]
        assert any(
            media in described_type for described_type in export["responses"]["200"]["content"]
        )


def test_rows_imported_through_a_block_run_its_formulas_and_id_hook(author):
    body = {"rows": [{"title": "Big Desk", "price": 5, "quantity": 3}], "block": "order"}
    job = job_of(author, author.post_json("/api/v1/sales/import", body))
    assert (job["state"], job["created"]) == ("done", 1)
    record = Record.objects.get(app_id="sales")
    assert record.record_id == "big-desk"  # the block's record_id()
    assert record.items["total"] == 15 and record.items["block"] == "order"


def test_an_xlsx_export_drops_characters_xml_cannot_hold(author, make_record, users):
    make_record("sales", "a", {"title": "bell\x07", "odd\x01name": "x"}, author=users["author"])
    _, content = download(author, "sales", format="xlsx")
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    values = [cell.value for row in sheet.iter_rows() for cell in row]
    assert "bell" in values and "oddname" in values
