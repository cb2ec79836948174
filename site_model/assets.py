"""A site's own look: `SITE_DIR/templates/` and `SITE_DIR/static/`, found where Django looks.

`SiteTemplateLoader` searches `SITE_DIR/templates/` before the project's templates, so a site
may replace `base.html` or an account page (or extend the project's own with
`{% extends "base.html" %}`: Django skips the file doing the extending). `SiteStaticFinder`
serves `SITE_DIR/static/` under `STATIC_URL` (through WhiteNoise's finders in development, and
`collectstatic` copies it for production). Both read `settings.SITE_DIR` when asked, not once,
so a test's own site folder and a folder created after start are seen.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles.finders import BaseFinder
from django.contrib.staticfiles.utils import get_files
from django.core.files.storage import FileSystemStorage
from django.core.signals import setting_changed
from django.template.loaders.filesystem import Loader as FilesystemLoader
from django.templatetags.static import static
from django.utils._os import safe_join


def site_templates_dir() -> Path:
    return Path(settings.SITE_DIR) / "templates"


def site_static_dir() -> Path:
    return Path(settings.SITE_DIR) / "static"


class SiteTemplateLoader(FilesystemLoader):
    """Templates of `SITE_DIR/templates/`, searched before the project's."""

    def get_dirs(self):
        return [site_templates_dir()]


class SiteStaticFinder(BaseFinder):
    """Static files of `SITE_DIR/static/`, found before the project's own."""

    def check(self, **kwargs):
        return []  # the folder is optional

    def find(self, path, find_all=False, **kwargs):
        root = site_static_dir()
        try:
            candidate = safe_join(str(root), path)
        except ValueError:  # a path outside the folder (../)
            candidate = None
        found = candidate if candidate and os.path.isfile(candidate) else None
        # Like Django's finders: a list for find_all, and [] (not None) for no match.
        if find_all or kwargs.get("all"):
            return [found] if found else []
        return found or []

    def list(self, ignore_patterns):
        root = site_static_dir()
        if not root.is_dir():
            return
        storage = FileSystemStorage(location=str(root))
        for path in get_files(storage, ignore_patterns):
            yield path, storage


def site_static_file(name: str) -> str | None:
    """The path of `SITE_DIR/static/<name>` when the site ships that file, else None."""
    return SiteStaticFinder().find(name) or None


def site_static_url(name: str) -> str | None:
    """The URL of `SITE_DIR/static/<name>` when the site ships that file, else None.

    A file added after `collectstatic` has no entry in the production manifest: None then,
    rather than an error on every page."""
    if not (site_static_dir() / name).is_file():
        return None
    try:
        return static(name)
    except ValueError:
        return None


def reset_template_loaders(setting, **kwargs) -> None:
    """The cached loader remembers which folder a name came from: forget it when SITE_DIR moves
    (tests give each site its own folder)."""
    if setting != "SITE_DIR":
        return
    from django.template import engines

    for engine in engines.all():
        for loader in getattr(engine, "engine", engine).template_loaders:
            if hasattr(loader, "reset"):
                loader.reset()


setting_changed.connect(reset_template_loaders)
