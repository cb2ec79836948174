"""The CHART element (contract §8, issue 24): on a page, over the API, and in check_site."""

from __future__ import annotations

import re

import pytest
from django.conf import settings as django_settings
from django.contrib.staticfiles import finders

from records import store
from site_model.loader import current_site
from tests.helpers import new_client

pytestmark = pytest.mark.django_db

SHOP_ACL = """acl:
  rights:
    reader: [authenticated]
    author: [authenticated]
    editor: [bosses]
  row_owners: [salesman]
"""
SALE = """elements:
  amount: {type: NUMBER, index_type: field}
  salesman: {type: TEXT, index_type: field}
  day: {type: DATE, index_type: field}
"""
BOARD = """elements:
  per_salesman: {type: CHART, chart: bar, group_by: salesman, value: sum:amount, title: Amount per salesman}
  per_month: {type: CHART, chart: line, group_by: month:day, value: count}
  big: {type: CHART, chart: pie, group_by: salesman, value: count, query: "amount > 100"}
  made: {type: CHART, chart: pie}
"""
BOARD_CODE = """
def made(context):
    return {"labels": ["a", "b"], "series": {"x": [1, 2.5], "y": [3, 4]}}
"""


@pytest.fixture
def shop(site_dir, user_factory):
    site_dir.write("apps/shop/settings.yaml", SHOP_ACL)
    site_dir.write("apps/shop/blocks/sale.yaml", SALE)
    site_dir.write("apps/shop/blocks/board.yaml", BOARD)
    site_dir.write("apps/shop/blocks/board.py", BOARD_CODE)
    site_dir.write("pages/board.yaml", "path: /board/\nblocks: [shop/board]\n")
    user_factory("alice")
    user_factory("bob")
    user_factory("carl")
    user_factory("boss", groups=["bosses"])
    app = current_site().apps["shop"]
    for i, (who, amount, day) in enumerate(
        [("alice", 50, "2026-01-02"), ("alice", 150, "2026-02-02"), ("bob", 700, "2026-02-09")]
    ):
        store.record_create(
            app=app, items={"salesman": who, "amount": amount, "day": day}, record_id=f"s{i}"
        )
    return site_dir


def chart_table(html: str, element: str) -> list[list[str]]:
    figure = re.search(
        rf'<figure class="chart[^"]*" data-element="{element}">(.*?)</figure>', html, re.S
    )
    assert figure, html
    table = re.search(r'<table class="chart-data">(.*?)</table>', figure.group(1), re.S)
    if table is None:
        return []
    return [
        re.findall(r"<t[hd][^>]*>([^<]*)</t[hd]>", row)
        for row in re.findall(r"<tr>(.*?)</tr>", table.group(1), re.S)
    ]


def page(who) -> str:
    response = new_client(who).get("/board/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_chart_table_shows_only_the_visitors_groups(shop):
    assert chart_table(page("alice"), "per_salesman") == [
        ["Salesman", "Amount per salesman"],
        ["alice", "200"],
    ]
    assert chart_table(page("boss"), "per_salesman") == [
        ["Salesman", "Amount per salesman"],
        ["alice", "200"],
        ["bob", "700"],
    ]
    assert chart_table(page("boss"), "per_month")[1:] == [["2026-01", "1"], ["2026-02", "2"]]
    assert chart_table(page("boss"), "big")[1:] == [["alice", "1"], ["bob", "1"]]
    assert "bob" not in page("alice").split('data-element="made"')[0]


def test_an_empty_chart_says_so(shop):
    html = page("carl")
    assert chart_table(html, "per_salesman") == []
    assert '<p class="chart-empty">Nothing to show yet.</p>' in html


def test_the_canvas_is_drawn_by_the_vendored_chart_js(shop):
    html = page("alice")
    assert re.search(
        r'<canvas role="img" aria-label="Amount per salesman" data-chart="[^"]+">', html
    )
    assert '<script src="/static/blocks/vendor/chart.umd.js" defer></script>' in html
    assert "cdn" not in html.lower()
    vendored = finders.find("blocks/vendor/chart.umd.js")
    assert vendored and "Chart.js v4.5.1" in open(vendored).read(300)  # scripts/chartjs.sh's pin


def test_the_element_call_answers_labels_and_series(shop):
    alice = new_client("alice")
    assert alice.get("/api/v1/shop/blocks/board/per_salesman").json() == {
        "labels": ["alice"],
        "series": {"Amount per salesman": [200]},
    }
    assert new_client("boss").get("/api/v1/shop/blocks/board/per_month").json() == {
        "labels": ["2026-01", "2026-02"],
        "series": {"Per month": [1, 2]},
    }
    made = {"labels": ["a", "b"], "series": {"x": [1, 2.5], "y": [3, 4]}}
    assert alice.get("/api/v1/shop/blocks/board/made").json() == made
    assert chart_table(page("alice"), "made") == [["", "x", "y"], ["a", "1", "2.5", "3", "4"]][
        :1
    ] + [
        ["a", "1", "3"],
        ["b", "2.5", "4"],
    ]
    assert alice.get("/api/v1/shop/blocks/board").json()["elements"]["made"] == {
        "type": "CHART",
        "label": "Made",
        "chart": "pie",
    }


def test_a_function_of_the_wrong_shape_is_the_blocks_error(shop):
    shop.write("apps/shop/blocks/board.py", "def made(context):\n    return [1, 2]\n")
    response = new_client("alice").get("/api/v1/shop/blocks/board/made")
    # as any failing block code answers (api/views.py endpoint): no traceback, no data
    assert (response.status_code, response.json()) == (
        500,
        {"error": "the site's block code failed"},
    )
    html = page("alice")
    assert 'class="chart-data"' not in html and "shop/board" in html  # the block's error box


def problems():
    return [str(problem) for problem in current_site().problems]


def test_check_site_checks_chart_keys_with_file_and_line(shop):
    shop.write(
        "apps/shop/blocks/bad.yaml",
        "elements:\n"
        "  a: {type: CHART, chart: donut, group_by: salesman, value: count}\n"
        "  b: {type: CHART, group_by: salesman}\n"
        "  c: {type: CHART, group_by: salesman, value: median:amount}\n"
        "  d: {type: CHART, group_by: region, value: count}\n"
        "  e: {type: CHART, group_by: month:amount, value: sum:amount}\n"
        "  f: {type: TEXT, chart: bar}\n"
        "  g: {type: CHART}\n",
    )
    assert [problem.with_id() for problem in current_site().problems] == [
        "apps/shop/blocks/bad.yaml:2: (site.E004) element 'a': chart must be one of bar, line, pie, found 'donut'",
        "apps/shop/blocks/bad.yaml:3: (site.E007) element 'b': a declared chart needs both group_by and value; value is missing",
        "apps/shop/blocks/bad.yaml:4: (site.E012) element 'c': metric 'value': unknown metric 'median:amount'; metrics: count, sum:<item>, avg:<item>, min:<item>, max:<item>, count_distinct:<item>",
        "apps/shop/blocks/bad.yaml:5: (site.E012) element 'd': group 'region': no element of app 'shop' declares an item 'region'",
        "apps/shop/blocks/bad.yaml:6: (site.E012) element 'e': group 'month:amount': a month bucket needs a DATE or DATETIME item, 'amount' is NUMBER",
        "apps/shop/blocks/bad.yaml:7: (site.E013) element 'f': chart applies only to CHART elements",
        "apps/shop/blocks/bad.yaml:8: (site.E010) element 'g' (CHART) needs a function 'g(context)' in apps/shop/blocks/bad.py (missing file)",
    ]


def test_the_demo_dashboard_charts(settings):
    settings.SITE_DIR = django_settings.BASE_DIR
    board = current_site().apps["sales"].blocks["dashboard"]
    assert [e.options for e in board.elements if e.type == "CHART"] == [
        {
            "chart": "bar",
            "group_by": "salesman",
            "value": "sum:amount",
            "title": "Amount per salesman",
        },
        {
            "chart": "line",
            "group_by": "month:sold_on",
            "value": "sum:amount",
            "title": "Sales per month",
        },
    ]
    assert not current_site().problems
