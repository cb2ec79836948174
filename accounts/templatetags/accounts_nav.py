from django import template

from site_model.loader import current_site

from ..identity import who_for
from ..invites import is_user_manager

register = template.Library()


@register.inclusion_tag("accounts/nav.html", takes_context=True)
def account_nav(context):
    """The small menu of the account pages; "Profile" when the site declares profile fields,
    "People" and "Invite users" only for user managers."""
    request = context["request"]
    who = who_for(getattr(request, "user", None))
    site_settings = current_site().settings
    return {
        "request": request,
        "has_profile": bool(site_settings.profile_fields),
        "is_user_manager": is_user_manager(who, site_settings.user_managers),
    }


@register.simple_tag
def signup_open() -> bool:
    """Is open sign-up on (settings.yaml `auth.signup`)?"""
    return current_site().settings.signup
