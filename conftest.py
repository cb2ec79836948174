"""Fixtures shared by every test: a site folder of the test's own, and users."""

import os
import textwrap
from pathlib import Path

import pytest


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
    from django.contrib.auth.models import Group

    def make(username="user", *, groups=(), email=None, password="pw-for-tests-1", superuser=False):
        user = django_user_model.objects.create_user(
            username=username,
            email=email if email is not None else f"{username}@example.com",
            password=password,
            is_superuser=superuser,
            is_staff=superuser,
        )
        for name in groups:
            user.groups.add(Group.objects.get_or_create(name=name)[0])
        return user

    return make


@pytest.fixture
def client_for(client, user_factory):
    """client_for(user) -> a test client signed in as that user (None: anonymous)."""
    from django.test import Client

    def make(user=None):
        new = Client()
        if user is not None:
            new.force_login(user)
        return new

    return make
