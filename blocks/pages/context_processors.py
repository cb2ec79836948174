from accounts.identity import who_for
from blocks.site.acl import can_see
from blocks.site.loader import current_site


def site(request):
    """The site title and the pages this visitor may open, for the base layout."""
    current = current_site()
    who = who_for(getattr(request, "user", None))
    return {
        "site_title": current.settings.title,
        "signup_open": current.settings.signup,
        "navigation": [page for page in current.navigation if can_see(page.view_permission, who)],
    }
