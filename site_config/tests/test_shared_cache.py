"""The database cache of production without Redis (site_config/cache.py): its table comes
from `migrate`, and `incr` changes the stored count in place, keeping the entry's expiry."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings
from django.db import connection, connections

from site_config.cache import SharedDatabaseCache

pytestmark = pytest.mark.django_db


@pytest.fixture
def shared_cache():
    return SharedDatabaseCache(settings.SHARED_CACHE_TABLE, {})


def test_migrate_creates_the_cache_table():
    assert settings.SHARED_CACHE_TABLE in connection.introspection.table_names()


def test_incr_and_decr_count_in_the_table(shared_cache):
    shared_cache.add("attempts", 0, 300)
    assert [shared_cache.incr("attempts") for _ in range(3)] == [1, 2, 3]
    assert shared_cache.decr("attempts") == 2
    assert shared_cache.get("attempts") == 2


def test_incr_keeps_the_expiry(shared_cache):
    shared_cache.add("attempts", 0, 1000)  # Django's own incr would reset it to 300 s
    expires_before = stored_expiry("attempts", shared_cache)
    shared_cache.incr("attempts", 5)
    assert stored_expiry("attempts", shared_cache) == expires_before


def test_incr_of_a_missing_or_expired_key_is_a_value_error(shared_cache):
    shared_cache.set("old", 1, -1)
    for key in ("missing", "old"):
        with pytest.raises(ValueError, match="not found"):
            shared_cache.incr(key)


def stored_expiry(key: str, cache):
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT expires FROM {settings.SHARED_CACHE_TABLE} WHERE cache_key = %s",  # noqa: S608
            [cache.make_key(key)],
        )
        return cursor.fetchone()[0]


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="concurrent writers are PostgreSQL's: SQLite's take turns (and its test database, "
    "in memory with a shared cache, refuses a second writer instead of queueing it)",
)
@pytest.mark.django_db(transaction=True)
def test_incr_in_parallel_loses_no_count(shared_cache):
    """Eight threads, 25 increments each (regression; Django's own incr hands out some values
    twice): every value from 1 to 200 is handed out once, as the row is locked from the read
    to the write."""
    shared_cache.add("attempts", 0, 300)

    def count(_):
        try:
            return [shared_cache.incr("attempts") for _ in range(25)]
        finally:
            connections.close_all()

    with ThreadPoolExecutor(8) as pool:
        seen = [value for values in pool.map(count, range(8)) for value in values]
    assert sorted(seen) == list(range(1, 201))
    assert shared_cache.get("attempts") == 200
