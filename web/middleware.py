import functools

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils.functional import SimpleLazyObject, empty

from accounts.identity import who_for
from records import policies, rls
from site_model.acl import ANONYMOUS
from site_model.loader import current_site, one_site_per_request

_synced: dict[str, tuple[str, ...]] = {}


def ensure_groups(names) -> None:
    """The groups that settings.yaml lists exist (created, never deleted)."""
    for name in names:
        Group.objects.get_or_create(name=name)


class SiteGroupsMiddleware:
    """Creates the groups of settings.yaml on the first request and whenever the list changes."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        groups = current_site().settings.groups
        if _synced.get("groups") != groups:
            ensure_groups(groups)
            _synced["groups"] = groups
        return self.get_response(request)


class OneSitePerRequestMiddleware:
    """Scan the site folder once per request (first in MIDDLEWARE, so everyone shares it)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with one_site_per_request():
            return self.get_response(request)


class RowSecurityMiddleware:
    """On PostgreSQL, every statement of the request runs as its visitor (contract §12): the
    database's row-level security sees who `request.user` is (read when a statement needs it,
    so a token's user once DRF signs them in). The backend sends the caller with each
    statement outside a transaction, in the same round trip and the same implicit transaction
    (site_config/postgresql), and once per transaction inside one: the request opens none of
    its own, which would cost two round trips (BEGIN, COMMIT) that a site without the policies
    does not pay. A streamed answer (an export) is read in a transaction of its own (its
    server-side cursor needs one), as the same visitor. On SQLite it does nothing."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not policies.in_use():
            return self.get_response(request)
        policies.ensure_synced(current_site())
        caller = functools.partial(caller_of, request)
        with rls.acting_as(caller):
            response = self.get_response(request)
        if response.streaming:
            response.streaming_content = streamed_as(caller, response.streaming_content)
        return response


def caller_of(request) -> str:
    """The caller of `request`'s visitor as it is now, kept on the user object."""
    user = getattr(request, "user", None)
    if user is None or (isinstance(user, SimpleLazyObject) and user._wrapped is empty):
        # Not read yet: reading it now would read the session inside the statement that
        # reads the session. Until the request asks who it is, the database sees nobody known.
        return rls.caller_for(ANONYMOUS)
    found = getattr(user, "_site_db_caller", None)
    if found is None:
        found = rls.caller_for(who_for(user))
        if user.is_authenticated:
            user._site_db_caller = found
    return found


def streamed_as(caller, chunks):
    with rls.acting_as(caller), transaction.atomic():
        yield from chunks
