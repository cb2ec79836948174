from django.contrib.auth.models import Group

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
