"""The database cache of production without Redis (site_config/cache.py): its table comes
from `migrate`, and `incr` changes the stored count in place, keeping the entry's expiry."""

import pytest
from django.conf import settings
from django.db import connection

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
