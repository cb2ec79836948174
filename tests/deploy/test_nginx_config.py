"""docs/deploy.md's nginx configurations, as written, with Debian's nginx (scripts/nginx.sh).

Each ```nginx block of the page is checked by `nginx -t` with only its file paths and ports
replaced (a test certificate instead of certbot's); the first one is then started in front of
the live server on a port other than 443, where the API's own links must keep that port.
"""

import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests
import urllib3

ROOT = Path(__file__).resolve().parents[2]
NGINX = os.environ.get("NGINX_BIN", "")
NGINX_BLOCK = re.compile(r"^```nginx\n(.*?)^```", re.MULTILINE | re.DOTALL)
# The paths the page names, and the test files that stand in for them.
STAND_INS = {
    "/etc/letsencrypt/live/site.example.com/fullchain.pem": "server.pem",
    "/etc/letsencrypt/live/site.example.com/privkey.pem": "server.key",
    "/etc/nginx/site-client-ca.pem": "server.pem",
}
MAIN = """
{user}
pid {dir}/nginx.pid;
error_log {dir}/error.log;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
{servers}
}}
"""


def documented_configs() -> list[str]:
    return NGINX_BLOCK.findall((ROOT / "docs" / "deploy.md").read_text())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def folder(tmp_path):
    if not NGINX:
        pytest.fail("no nginx: run under scripts/nginx.sh (make test does)")
    # Debian's openssl (scripts/nginx.sh installs it), our arguments.
    command = [
        "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
        "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1", "-keyout", "server.key",
        "-out", "server.pem",
    ]  # fmt: skip
    subprocess.run(command, cwd=tmp_path, check=True, capture_output=True)  # noqa: S603
    for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp_path / name).mkdir()
    return tmp_path


def write_conf(folder: Path, documented: str, *, https=443, http=80, app=8000) -> Path:
    servers = documented
    for path, stand_in in STAND_INS.items():
        servers = servers.replace(path, str(folder / stand_in))
    servers = re.sub(r"listen 443\b", f"listen 127.0.0.1:{https}", servers)
    servers = re.sub(r"listen 80;", f"listen 127.0.0.1:{http};", servers)
    servers = servers.replace("127.0.0.1:8000", f"127.0.0.1:{app}")
    # As root nginx's workers would run as nobody, who cannot read the test folder.
    user = "user root;" if os.geteuid() == 0 else ""
    conf = folder / "nginx.conf"
    conf.write_text(MAIN.format(user=user, dir=folder, servers=servers))
    return conf


def nginx(folder: Path, conf: Path, *args: str) -> list[str]:
    return [NGINX, "-p", str(folder), "-e", str(folder / "error.log"), "-c", str(conf), *args]


def test_the_page_has_the_two_configurations():
    assert len(documented_configs()) == 2


@pytest.mark.parametrize("number", [0, 1])
def test_debians_nginx_takes_the_documented_configuration(folder, number):
    conf = write_conf(folder, documented_configs()[number])
    result = subprocess.run(  # noqa: S603 - the nginx of scripts/nginx.sh, our config
        nginx(folder, conf, "-t"), capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 0, result.stderr


@pytest.fixture
def proxy(folder, live_server, settings, transactional_db):
    """The documented nginx in front of the live server, on a port other than 443."""
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    port = free_port()
    app_port = int(live_server.url.rsplit(":", 1)[1])
    conf = write_conf(folder, documented_configs()[0], https=port, http=free_port(), app=app_port)
    process = subprocess.Popen(  # noqa: S603 - the nginx of scripts/nginx.sh, our config
        nginx(folder, conf, "-g", "daemon off;"), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        for _ in range(100):
            if process.poll() is not None:
                raise RuntimeError(f"nginx did not start: {process.stderr.read().decode()}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        yield f"https://127.0.0.1:{port}"
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)


def test_the_api_keeps_the_port_the_visitor_used(proxy, site_dir):
    urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    site_dir.write("apps/notes/settings.yaml", "acl:\n  rights:\n    reader: ['*']\n")
    site_dir.write("apps/notes/blocks/note.yaml", "elements:\n  text: TEXT\n")
    index = requests.get(f"{proxy}/api/v1/", verify=False, timeout=10)  # noqa: S501 - test cert
    assert index.status_code == 200, index.text
    assert index.json()["docs"] == f"{proxy}/api/docs/"
    [app] = index.json()["apps"]
    assert app["openapi"] == f"{proxy}/api/v1/notes/openapi.json"
    described = requests.get(app["openapi"], verify=False, timeout=10)  # noqa: S501
    assert described.json()["servers"] == [{"url": f"{proxy}/api/v1"}]
