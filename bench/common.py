"""What every benchmark does first: a site folder of its own, Django configured for it."""

from __future__ import annotations

import os
from pathlib import Path


def start_django(workdir: Path, site_files: dict[str, str], *, test_database: bool = True) -> None:
    """Write the bench's site into `workdir`, configure Django for it and, with
    `test_database`, create a fresh test database (a file on SQLite, as a site has)."""
    site = workdir / "site"
    for rel, text in site_files.items():
        (site / rel).parent.mkdir(parents=True, exist_ok=True)
        (site / rel).write_text(text)
    os.environ["SITE_DIR"] = str(site)
    os.environ.setdefault("SECRET_KEY", "bench-only")
    os.environ["ALLOWED_HOSTS"] = "testserver"
    os.environ["LOG_LEVEL"] = "WARNING"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "site_config.settings")
    import django

    django.setup()
    if not test_database:
        return
    from django.conf import settings
    from django.db import connection

    if connection.vendor == "sqlite":
        # The default test database of SQLite is in memory; a site's is a file.
        settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = str(workdir / "bench.db")
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
