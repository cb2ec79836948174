"""The site's SQLite backend (site_config/sqlite): Django's, plus `PRAGMA optimize` as a
connection closes, at most once in `records.planner.OPTIMIZE_EVERY` (issue 21), and each
statement's conversion to SQLite's parameter style kept (issue 22)."""

import sqlite3

from records import planner
from site_config.sqlite.base import DatabaseWrapper


def sqlite_file_wrapper(path):
    """The site's SQLite backend (site_config/sqlite) on a file of its own, whatever engine
    the suite runs on."""
    settings = {
        "ENGINE": "site_config.sqlite",
        "NAME": str(path),
        "OPTIONS": {},
        "TIME_ZONE": None,
        "CONN_MAX_AGE": 0,
        "CONN_HEALTH_CHECKS": False,
        "AUTOCOMMIT": True,
        "ATOMIC_REQUESTS": False,
        "USER": "",
        "PASSWORD": "",
        "HOST": "",
        "PORT": "",
        "TEST": {},
    }
    return DatabaseWrapper(settings, alias="plans-test")


def test_a_sqlite_connection_runs_pragma_optimize_as_it_closes(db, tmp_path, monkeypatch):
    monkeypatch.setattr(planner, "_last_optimize", -planner.OPTIMIZE_EVERY)
    wrapper = sqlite_file_wrapper(tmp_path / "site.sqlite3")
    with wrapper.cursor() as cursor:
        cursor.execute("CREATE TABLE t (a INTEGER, b INTEGER)")
        cursor.execute("CREATE INDEX t_a ON t (a)")
        cursor.executemany("INSERT INTO t VALUES (%s, %s)", [(n % 10, n) for n in range(500)])
        cursor.execute("SELECT b FROM t WHERE a = 3")  # the planner wanted statistics of t
    wrapper.close()
    stats = sqlite3.connect(tmp_path / "site.sqlite3").execute("SELECT tbl FROM sqlite_stat1")
    assert stats.fetchall() == [("t",)]


def test_pragma_optimize_runs_at_most_once_in_a_while(db, tmp_path, monkeypatch):
    monkeypatch.setattr(planner, "_last_optimize", -planner.OPTIMIZE_EVERY)
    ran = []
    monkeypatch.setattr(planner, "_optimize_now", ran.append)
    for _ in range(3):
        wrapper = sqlite_file_wrapper(tmp_path / "site.sqlite3")
        wrapper.ensure_connection()
        wrapper.close()
    assert len(ran) == 1


def test_a_statement_is_converted_to_qmark_style_once_and_a_long_one_each_time(db, tmp_path):
    from site_config.sqlite import base

    base._qmark_style.cache_clear()
    wrapper = sqlite_file_wrapper(tmp_path / "site.sqlite3")
    short = "SELECT %s || '%%s', %s"
    long = f"SELECT %s /* {'x' * base.KEPT_CHARS} */"
    with wrapper.cursor() as cursor:
        for _ in range(3):
            cursor.execute(short, ["a", "b"])
            assert cursor.fetchone() == ("a%s", "b")
            cursor.execute(long, [7])
            assert cursor.fetchone() == (7,)
        cursor.execute("SELECT %(n)s + 1", {"n": 1})  # pyformat: Django's own conversion
        assert cursor.fetchone() == (2,)
    wrapper.close()
    kept = base._qmark_style.cache_info()
    assert (kept.misses, kept.hits, kept.currsize) == (1, 2, 1)
