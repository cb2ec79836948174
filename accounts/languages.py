"""Which language a visitor reads the site in (contract §13), with Django's own machinery.

In order: the `language` cookie that Django's `set_language` (POST /i18n/setlang/, the switcher
in the chrome) sets, the signed-in user's saved choice, the best `Accept-Language` match among
the site's languages, the site's default (the first of settings.yaml `languages`). A signed-in
user's choice is saved (`UserLanguage`) and copied into the session at each sign-in, so asking
for it costs no query per request.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import translation
from django.utils.translation.trans_real import parse_accept_lang_header
from django.views import i18n
from django.views.decorators.http import require_POST

from site_model.loader import current_site

from .models import UserLanguage

SESSION_KEY = "_language"


def language_for(request, languages: tuple[str, ...]) -> str:
    """The visitor's language among `languages` (the first is the default)."""
    cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    if cookie in languages:
        return cookie
    session = getattr(request, "session", None)
    user = getattr(request, "user", None)
    if session is not None and user is not None and user.is_authenticated:
        saved = session.get(SESSION_KEY)
        if saved in languages:
            return saved
    return accepted(request.headers.get("Accept-Language", ""), languages) or languages[0]


def accepted(header: str, languages: tuple[str, ...]) -> str | None:
    """The best of `languages` for an Accept-Language header (`fr-CH` matches `fr`)."""
    for code, _quality in parse_accept_lang_header(header):
        if code == "*":
            return None
        for candidate in (code.lower(), code.lower().split("-")[0]):
            if candidate in languages:
                return candidate
    return None


@require_POST
def set_language(request):
    """Django's `set_language` (the cookie, the redirect to `next`); a signed-in user's choice
    is saved too, and kept in the session."""
    response = i18n.set_language(request)
    language = request.POST.get(i18n.LANGUAGE_QUERY_PARAMETER)
    if language in current_site().settings.languages and request.user.is_authenticated:
        UserLanguage.objects.update_or_create(user=request.user, defaults={"language": language})
        request.session[SESSION_KEY] = language
    return response


def on_user_logged_in(sender, request, user, **kwargs) -> None:
    """`user_logged_in` receiver: the user's saved language comes into the new session."""
    if request is None or not hasattr(request, "session"):
        return
    saved = UserLanguage.objects.filter(user=user).values_list("language", flat=True).first()
    if saved:
        request.session[SESSION_KEY] = saved


def activate_for(request) -> str:
    """Activate the visitor's language for this request; returns it."""
    languages = current_site().settings.languages
    language = language_for(request, languages)
    translation.activate(language)
    request.LANGUAGE_CODE = language
    return language
