"""The WSGI application: gunicorn's (docs/deploy.md) and runserver's (WSGI_APPLICATION)."""

import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "site_config.settings")
application = get_wsgi_application()

# Import every view now rather than on the first request, then put what start-up built (the
# modules, classes and settings, which live as long as the process) out of the garbage
# collector's sight: each full collection then walks only what requests allocate. Python's
# docs give gc.freeze() for this; here it took 2-5% off a record read (bench/layout.py).
get_resolver().url_patterns  # noqa: B018 - imports the URLconf and with it every view
gc.collect()
gc.freeze()
