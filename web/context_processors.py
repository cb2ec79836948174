from urllib.parse import quote

from django.templatetags.static import static
from django.utils.translation import get_language, get_language_info

from accounts.identity import who_for
from blocks import console
from blocks.render import is_preview
from records import access as gate
from site_model.assets import site_static_url
from site_model.loader import current_site


def site(request):
    """The site title, the pages this visitor may open, and the site's own stylesheet and icon
    (SITE_DIR/static/site.css, favicon.svg or favicon.ico) for the base layout."""
    current = current_site()
    who = who_for(getattr(request, "user", None))
    navigation = [page for page in current.navigation if gate.page_verdict(page, who)]
    preview = preview_of(request)
    if preview is not None:
        # Only the pages the one looking may open too: a preview shows them nothing more.
        looking = who_for(request.previewed_by)
        navigation = [page for page in navigation if gate.page_verdict(page, looking)]
    return {
        "preview": preview,
        "site_title": current.settings.title,
        # Called where base.html shows it, after the page's blocks: what they left waiting.
        "console_log": lambda: console.script(console.drain(request)),
        "signup_open": current.settings.signup,
        # The switcher (contract §13): the site's languages, each in its own name.
        "site_languages": [
            (code, get_language_info(code)["name_local"]) for code in current.settings.languages
        ],
        "LANGUAGE_CODE": get_language(),
        "navigation": navigation,
        "site_css": site_static_url("site.css"),
        "favicon_url": site_static_url("favicon.svg")
        or site_static_url("favicon.ico")
        or project_favicon_url(),
    }


def preview_of(request) -> dict | None:
    """What base.html needs of a preview: whose view it is, the links' prefix, the way out."""
    if not is_preview(request):
        return None
    username = request.user.get_username()
    prefix = f"/preview/{quote(username, safe='')}"
    page_path = request.path[len(prefix) :] if request.path.startswith(prefix) else "/"
    return {"username": username, "prefix": prefix, "page_path": page_path}


def project_favicon_url() -> str:
    """The project's icon under its hashed static name; before `collectstatic` has made the
    production manifest, /favicon.ico (which serves the same file) rather than a 500 on every
    page."""
    try:
        return static("blocks/favicon.svg")
    except ValueError:
        return "/favicon.ico"
