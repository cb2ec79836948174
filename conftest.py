"""Fixtures shared by every test: a site folder of the test's own, users, API clients.

Plain helpers (assert_error, ids, code_for, login, basic, bearer) live in tests/helpers.py."""

import os
import textwrap
from pathlib import Path

import pytest

from tests.helpers import BACKUP_CODES, PASSWORD, add_totp, new_client


class SiteFolder:
    """A temporary SITE_DIR; `write()` creates or edits a file so the next request sees it."""

    def __init__(self, root: Path):
        self.root = root

    def write(self, rel: str, text: str) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        before = path.stat().st_mtime_ns if path.exists() else 0
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        # Two writes in one clock tick can share an mtime: move it on so the edit is seen.
        stamp = max(path.stat().st_mtime_ns, before + 1_000_000)
        os.utime(path, ns=(stamp, stamp))
        return path

    def remove(self, rel: str) -> None:
        (self.root / rel).unlink()


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    """The production hasher costs ~0.2 s per password by design; tests need no such cost."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fresh_limits():
    """Rate limits (failed passwords, wrong codes) live in the cache: none used at the start."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def static_files_without_collectstatic(settings):
    """The production storage needs `collectstatic`'s manifest; tests/deploy runs that for real."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def uploads_in_tmp(tmp_path, settings):
    """FILE elements' uploads go to the test's own folder, never the repository's uploads/."""
    settings.MEDIA_ROOT = tmp_path / "uploads"


@pytest.fixture
def site_dir(tmp_path, settings):
    folder = tmp_path / "site"
    folder.mkdir()
    settings.SITE_DIR = folder
    site = SiteFolder(folder)
    site.write("settings.yaml", "title: Test site\ngroups: [admins]\n")
    return site


@pytest.fixture
def user_factory(db, django_user_model):
    """user_factory("ann", groups=["sales"], with_totp=True) -> a saved user.

    With `with_totp`, the user has a confirmed TOTP device, `user.totp_device` (compute codes with
    `tests.helpers.code_for`), and backup codes, `user.backup_codes` (`backup_codes=` to choose).
    """
    from django.contrib.auth.models import Group

    def make(
        username="user",
        *,
        groups=(),
        email=None,
        password=PASSWORD,
        superuser=False,
        with_totp=False,
        backup_codes=BACKUP_CODES,
    ):
        user = django_user_model.objects.create_user(
            username=username,
            email=email if email is not None else f"{username}@example.com",
            password=password,
            is_superuser=superuser,
            is_staff=superuser,
        )
        for name in groups:
            user.groups.add(Group.objects.get_or_create(name=name)[0])
        if with_totp:
            user.totp_device, user.backup_codes = add_totp(user, backup_codes)
        return user

    return make


@pytest.fixture
def api_client(db):
    """api_client(who) -> a test client with JSON helpers (`tests.helpers.ApiClient`): signed in
    (session) as `who`, a user or a username; `api_client(basic="ann")`, `basic=("ann", "wrong")`
    or `bearer=raw` for credentials on every request; `api_client()` anonymous."""
    return new_client


class Clock:
    """The time Django reads (`django.utils.timezone.now`), stopped until `move()` turns it."""

    def __init__(self, start):
        self.now = start

    def move(self, **delta) -> None:
        """`clock.move(minutes=1)`: whatever the arguments of `timedelta` say."""
        from datetime import timedelta

        self.now += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch):
    """Django's clock stopped at 2026-03-02 12:00:05 UTC; rows written take its time.

    Only `timezone.now` stops: allauth's rate limits (`time.time`) keep real time."""
    from datetime import UTC, datetime

    from django.utils import timezone

    stopped = Clock(datetime(2026, 3, 2, 12, 0, 5, tzinfo=UTC))
    monkeypatch.setattr(timezone, "now", lambda: stopped.now)
    return stopped
