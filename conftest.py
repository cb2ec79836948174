"""Fixtures shared by every test: a site folder of the test's own, users, API clients.

Plain helpers (assert_error, ids, code_for, login, basic, bearer) live in tests/helpers.py."""

import os
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

from tests.helpers import BACKUP_CODES, PASSWORD, add_totp, new_client
from tests.sites import (
    EVENT_BLOCK,
    EVENT_CODE,
    EVENTS_ACL,
    ORDER_BLOCK,
    ORDER_CODE,
    OWNED_ACL,
    SALES_ACL,
)


def pytest_configure(config):
    compile_translations()
    from records import rls

    # The suite's own set-up and checks are the site owner's, as a `manage.py` command's; the
    # requests it makes run as their visitors (web.middleware.RowSecurityMiddleware).
    rls.trust_this_thread()


def compile_translations() -> None:
    """The .mo files `make install` builds, built here too when missing or older than their .po
    (a checkout tested with pytest alone still reads French and German)."""
    msgfmt = shutil.which("msgfmt")
    for po in (Path(__file__).parent / "locale").glob("*/LC_MESSAGES/*.po"):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        if msgfmt is None:
            raise pytest.UsageError("msgfmt is missing: run `make install` (Debian's gettext)")
        subprocess.run([msgfmt, "--check", "-o", str(mo), str(po)], check=True)  # noqa: S603


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
def totp_without_drift(settings):
    """django-otp learns an authenticator's drift from each code it accepts: a code accepted
    just after a 30-second step turned (drift -1) would make the next step's code, which
    `tests.helpers.code_for(device, ahead=1)` writes from the device as the test holds it,
    fall outside the tolerance. Tests give codes from an exact clock; no drift to learn."""
    settings.OTP_TOTP_SYNC = False


@pytest.fixture(autouse=True)
def default_language():
    """A request activates its visitor's language for the whole thread (Django's
    LocaleMiddleware does not undo it), and the site's default with it: each test starts, and
    leaves, in the project's default (English), whatever the previous one asked for."""
    from django.utils import translation

    from site_model.texts import DEFAULT

    translation.deactivate()
    token = DEFAULT.set("en")
    yield
    translation.deactivate()
    DEFAULT.reset(token)


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


API_TESTS = ("api/tests/", "tests/api/")


@pytest.fixture(autouse=True)
def api_described(request, monkeypatch):
    """In the API tests (api/tests, tests/api), every request a test client makes and its
    answer are checked against the description the caller would get (tests/api_description.py):
    a disagreement fails the test at that request (tests/api/test_described.py)."""
    path = request.node.path.relative_to(Path(__file__).parent).as_posix()
    if not path.startswith(API_TESTS):
        yield
        return
    from django.test import Client, RequestFactory

    from tests.api_description import check

    def generic(self, method, path, data="", *args, **kwargs):
        response = RequestFactory.generic(self, method, path, data, *args, **kwargs)
        check(response, data)
        return response

    monkeypatch.setattr(Client, "generic", generic)
    yield


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


USERS_BY_RIGHT = ("reader", "author", "author2", "editor", "manager", "stranger", "root")


@pytest.fixture
def api_client(db, request, django_user_model):
    """api_client(who) -> a test client with JSON helpers (`tests.helpers.ApiClient`): signed in
    (session) as `who`, a user or a username; `api_client(basic="ann")`, `basic=("ann", "wrong")`
    or `bearer=raw` for credentials on every request; `api_client()` anonymous.

    A name of `users` (reader, author, editor, ...) that no user has yet makes `users` first."""

    def make(who=None, **credentials):
        named = who if isinstance(who, str) else credentials.get("basic")
        if (
            isinstance(named, str)
            and named in USERS_BY_RIGHT
            and not django_user_model.objects.filter(username=named).exists()
        ):
            request.getfixturevalue("users")
        return new_client(who, **credentials)

    return make


@pytest.fixture
def editor(api_client, records_site):
    """A client signed in as the editor of `sales` (records_site)."""
    return api_client("editor")


@pytest.fixture
def staff_client(api_client, users):
    """A client signed in as `root`, a superuser past the second factor (the admin)."""
    return api_client(users["root"], verified=True)


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


# --- sites and users of the record tests (records, api, web) ------------------------------


@pytest.fixture
def records_site(site_dir):
    """apps: sales (rights by group), open (no ACL), public (reader '*', author authenticated)."""
    site_dir.write("apps/sales/settings.yaml", SALES_ACL)
    site_dir.write("apps/sales/blocks/order.yaml", ORDER_BLOCK)
    site_dir.write("apps/sales/blocks/order.py", ORDER_CODE)
    site_dir.write(
        "apps/sales/blocks/secret.yaml",
        "view_permission: [managers]\nelements:\n  code: BASIC\n  note: TEXT\n",
    )
    site_dir.write("apps/sales/blocks/secret.py", "def code(context):\n    return 42\n")
    site_dir.write("apps/open/blocks/thing.yaml", "elements:\n  name: TEXT\n")
    site_dir.write(
        "apps/public/settings.yaml",
        "acl:\n  rights:\n    reader: ['*']\n    author: [authenticated]\n",
    )
    site_dir.write("apps/public/blocks/note.yaml", "elements:\n  text: TEXT\n")
    site_dir.write("pages/index.yaml", "title: Home\nblocks: [sales/order]\n")
    return site_dir


@pytest.fixture
def owned_app(records_site):
    """App `owned`: the rights of `sales`, under row-level security by `salesman`; one block,
    `sale`, with a field index `amount`."""
    records_site.write("apps/owned/settings.yaml", OWNED_ACL)
    records_site.write(
        "apps/owned/blocks/sale.yaml", "elements:\n  amount: {type: NUMBER, index_type: field}\n"
    )
    return records_site


@pytest.fixture
def users(user_factory):
    """One user per right in app `sales`, a second author, a stranger and a superuser (made
    by `api_client` too, when a test signs in by one of their names)."""
    return {
        "reader": user_factory("reader", groups=["readers"]),
        "author": user_factory("author", groups=["authors"]),
        "author2": user_factory("author2", groups=["authors"]),
        "editor": user_factory("editor", groups=["editors"]),
        "manager": user_factory("manager", groups=["managers"]),
        "stranger": user_factory("stranger"),
        "root": user_factory("root", superuser=True),
    }


@pytest.fixture
def make_record(records_site):
    """make_record("sales", "r1", {"title": "x"}, author=user) -> a Record, through the store."""
    from records import store
    from site_model.loader import current_site

    def make(app_id, record_id, items=None, author=None):
        app = current_site().apps[app_id]
        return store.record_create(app=app, items=items or {}, record_id=record_id, user=author)

    return make


@pytest.fixture
def events_site(site_dir):
    """app events (reader '*', author authenticated, editor admins) with an input of every
    type; app places (readable by its editors only) for REFERENCE; a page /events/ holding the
    form."""
    site_dir.write("apps/events/settings.yaml", EVENTS_ACL)
    site_dir.write("apps/events/blocks/event.yaml", EVENT_BLOCK)
    site_dir.write("apps/events/blocks/event.py", EVENT_CODE)
    site_dir.write(
        "apps/places/settings.yaml",
        "acl:\n  rights:\n    reader: [admins]\n    author: [admins]\n    editor: [admins]\n",
    )
    site_dir.write("apps/places/blocks/place.yaml", "elements:\n  name: TEXT\n")
    site_dir.write("pages/events.yaml", "path: /events/\ntitle: Events\nblocks: [events/event]\n")
    return site_dir
