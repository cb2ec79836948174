"""The WSGI application's start-up (site_config/wsgi.py), in a process of its own as a
gunicorn worker runs it."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REPORT = (
    "import gc, sys; import site_config.wsgi; "
    "print(gc.get_freeze_count(), 'api.views' in sys.modules, 'web.views' in sys.modules)"
)


def test_start_up_imports_every_view_then_freezes_what_it_built(tmp_path):
    env = {**os.environ, "SECRET_KEY": "wsgi-test", "SITE_DIR": str(tmp_path)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    ran = subprocess.run(  # noqa: S603 - our interpreter, our module
        [sys.executable, "-c", REPORT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    frozen, api_views, web_views = ran.stdout.split()
    assert int(frozen) > 10_000, ran.stdout  # Django, DRF and our modules: ~125,000 objects
    assert (api_views, web_views) == ("True", "True")
