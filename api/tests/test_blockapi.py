"""`context.app` and `context.record` as block code sees them (contract §2)."""

import pytest

from records.models import Record
from site_model.loader import current_site

pytestmark = pytest.mark.django_db

CODE = """
OUT = {}

def run(context):
    app = context.app
    first = app.create_record("page")
    second = app.create_record("page")
    third = app.create_record("page")
    OUT["ids"] = [first.id, second.id, third.id]
    OUT["author"] = first.get("_author")
    OUT["written_before_save"] = [r.id for r in app.records()]
    first.save({"likes": 1})
    second.save()
    third.save()
    first["likes"] += 1
    first.save()
    again = app.get_record("page")
    OUT["likes"] = again["likes"]
    OUT["dict_like"] = ("likes" in again, "nope" in again, sorted(again.items()), again.get("nope", "d"))
    OUT["url"] = again.url
    OUT["html_url"] = again.html_url
    OUT["missing"] = app.get_record("nope"), app.get_record("bad id")
    OUT["all"] = [r.id for r in app.records()]
    OUT["search"] = [r.id for r in app.search("", sort_index="id", reverse=True)]
    OUT["readable"] = [r.id for r in app.readable()]
    OUT["secure"] = [r.id for r in app.search(None, secure=True)]
    OUT["deleted"] = app.delete_record("page-1"), app.delete_record(record=third), app.delete_record("nope")
    OUT["left"] = [r.id for r in app.records()]
    saved = again.save({"title": "t", "price": 2, "quantity": 3}, block_id="order")
    OUT["block_save"] = dict(saved.items())
    OUT["display"] = str(saved.display())
    OUT["display_edit"] = str(saved.display(edit=True))
    return "/done/"
"""


@pytest.fixture
def runner(records_site):
    records_site.write("apps/sales/blocks/runner.yaml", "elements:\n  run: ACTION\n")
    records_site.write("apps/sales/blocks/runner.py", CODE)
    return records_site


def out():
    return current_site().block("sales", "runner").code.OUT


def test_record_api_of_block_code(runner, api_client):
    # block code is trusted: a reader's visit may create records through it
    response = api_client("reader").post("/apps/sales/blocks/runner/", {"run": "1"})
    assert response["Location"] == "/done/"
    found = out()
    assert found["ids"] == ["page", "page-1", "page-2"]
    assert found["author"] == "reader"
    assert found["written_before_save"] == []  # create_record() writes nothing by itself
    assert found["likes"] == 2
    assert found["dict_like"] == (True, False, [("_author", "reader"), ("likes", 2)], "d")
    assert found["url"] == "http://testserver/api/v1/sales/record/page"
    assert found["html_url"] == "/apps/sales/records/page/"
    assert found["missing"] == (None, None)
    assert found["all"] == ["page", "page-1", "page-2"]
    assert found["search"] == ["page-2", "page-1", "page"]
    assert found["readable"] == ["page", "page-1", "page-2"]
    assert found["secure"] == ["page", "page-1", "page-2"]
    assert found["deleted"] == (True, True, False)
    assert found["left"] == ["page"]
    assert found["block_save"] == {
        "_author": "reader",
        "likes": 2,
        "title": "t",
        "price": 2,
        "quantity": 3,
        "total": 6,
        "block": "order",
    }
    assert '<span class="value" data-element="total">6</span>' in found["display"]
    assert 'action="/apps/sales/records/page/edit/"' in found["display_edit"]
    record = Record.objects.get(record_id="page")
    assert record.block_id == "order" and record.author.username == "reader"


def test_a_created_record_whose_save_is_refused_is_not_written(runner, api_client):
    runner.write(
        "apps/sales/blocks/runner.py",
        "OUT = {}\n"
        "def run(context):\n"
        "    record = context.app.create_record('late')\n"
        "    try:\n"
        "        record.save({'price': 'many'}, block_id='order')\n"
        "    except ValueError as exc:\n"
        "        OUT['refused'] = str(exc)\n"
        "    OUT['id'] = record.id\n"
        "    record.save({'price': 3}, block_id='order')\n"
        "    OUT['saved'] = record.id, record['price']\n"
        "    OUT['again'] = context.app.create_record('late').id\n",
    )
    response = api_client("reader").post("/apps/sales/blocks/runner/", {"run": "1"})
    assert response.status_code == 302
    assert out()["refused"].startswith("item 'price': type: NUMBER takes a number")
    assert out()["id"] == "late"
    assert out()["saved"] == ("late", 3)
    assert out()["again"] == "late-1"
    assert list(Record.objects.values_list("record_id", flat=True)) == ["late"]


def test_a_created_record_never_saved_is_never_written(runner, api_client):
    runner.write(
        "apps/sales/blocks/runner.py",
        "def run(context):\n"
        "    record = context.app.create_record('draft')\n"
        "    try:\n"
        "        record.save({'price': 'many'})\n"
        "    except ValueError:\n"
        "        pass\n",
    )
    api_client("reader").post("/apps/sales/blocks/runner/", {"run": "1"})
    assert not Record.objects.exists()


def test_readable_applies_the_visitors_rights(runner, api_client, make_record):
    make_record("sales", "x")
    runner.write(
        "apps/sales/blocks/runner.py",
        "OUT = {}\ndef run(context):\n    OUT['r'] = [r.id for r in context.app.readable()]\n"
        "    OUT['s'] = [r.id for r in context.app.search('', secure=True)]\n"
        "    OUT['all'] = [r.id for r in context.app.records()]\n",
    )
    api_client("stranger").post("/apps/sales/blocks/runner/", {"run": "1"})
    assert out() == {"r": [], "s": [], "all": ["x"]}
    api_client().post("/apps/sales/blocks/runner/", {"run": "1"})
    assert out() == {"r": [], "s": [], "all": ["x"]}
    api_client("reader").post("/apps/sales/blocks/runner/", {"run": "1"})
    assert out() == {"r": ["x"], "s": ["x"], "all": ["x"]}


def test_row_owners_limit_readable_and_single_records(records_site, api_client, users, make_record):
    records_site.write(
        "apps/team/settings.yaml",
        "acl:\n  rights:\n    reader: [authenticated]\n    author: [authenticated]\n    editor: [editors]\n"
        "  row_owners: [owner]\n",
    )
    records_site.write("apps/team/blocks/t.yaml", "elements:\n  owner: TEXT\n")
    make_record("team", "mine", author=users["author"])
    make_record("team", "theirs", author=users["author2"])
    client = api_client("author")
    assert [r["id"] for r in client.get("/api/v1/team/records").json()] == ["mine"]
    assert client.get("/api/v1/team/record/theirs").json() == {
        "error": "no record 'theirs' in app 'team'"
    }
    assert client.get("/api/v1/team/record/theirs").status_code == 404
    assert client.delete("/api/v1/team/record/theirs").status_code == 404
    assert [r["id"] for r in api_client("editor").get("/api/v1/team/records").json()] == [
        "mine",
        "theirs",
    ]


def test_unknown_attribute_of_context_app(runner, api_client, records_site):
    records_site.write(
        "apps/sales/settings.yaml",
        "debug: true\n" + (records_site.root / "apps/sales/settings.yaml").read_text(),
    )
    records_site.write(
        "apps/sales/blocks/runner.py", "def run(context):\n    context.app.nothing()\n"
    )
    html = api_client("reader").post("/apps/sales/blocks/runner/", {"run": "1"}).content.decode()
    assert (
        "apps/sales/blocks/runner.py:2: error in run(): AttributeError: context.app has no attribute &#x27;nothing&#x27;"
        in html
    )


def test_create_record_refuses_bad_ids_at_the_callers_line(runner, api_client, records_site):
    records_site.write(
        "apps/sales/settings.yaml",
        "debug: true\n" + (records_site.root / "apps/sales/settings.yaml").read_text(),
    )
    records_site.write(
        "apps/sales/blocks/runner.py", "def run(context):\n    context.app.create_record('a b')\n"
    )
    html = api_client("reader").post("/apps/sales/blocks/runner/", {"run": "1"}).content.decode()
    assert (
        "apps/sales/blocks/runner.py:2: error in run(): InvalidRecordId: invalid record id &#x27;a b&#x27;"
        in html
    )
    assert not Record.objects.exists()
