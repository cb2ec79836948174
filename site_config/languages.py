"""The visitor's language on every request (contract §13): Django's LocaleMiddleware, asked
with the site's languages (accounts/languages.py decides which); the JSON API always in English.

The API's answers do not depend on the language (its messages stay English, stable for
integrators, docs/api.md): under /api/ English is active whatever the visitor asked for.
"""

from __future__ import annotations

from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.cache import patch_vary_headers

from accounts.languages import activate_for
from site_model.loader import current_site
from site_model.texts import DEFAULT


def is_api(request) -> bool:
    return request.path_info == "/api" or request.path_info.startswith("/api/")


class SiteLocaleMiddleware(LocaleMiddleware):
    """After the session and the user (their saved choice); no language prefix in paths."""

    def process_request(self, request):
        DEFAULT.set(current_site().settings.languages[0])
        if is_api(request):
            translation.activate("en")
            request.LANGUAGE_CODE = "en"
            return
        activate_for(request)

    def process_response(self, request, response):
        # The API's answers are the same in every language: no Vary, no Content-Language.
        if is_api(request):
            return response
        language = getattr(request, "LANGUAGE_CODE", None) or translation.get_language()
        patch_vary_headers(response, ("Accept-Language",))
        response.headers.setdefault("Content-Language", language)
        return response
