"""Sign-in by client certificate through a real nginx (scripts/nginx.sh, run by `make test`).

A test CA, a server certificate and client certificates are made with openssl; nginx verifies
client certificates against the CA (`ssl_verify_client optional`), passes the result in
X-SSL-Client-Verify / X-SSL-Client-S-DN, and proxies to Django's live server from 127.0.0.2,
the only address in TRUSTED_PROXIES: a request straight to the live server (from 127.0.0.1)
is not believed, whatever headers it carries.
"""

import http.client
import os
import signal
import socket
import ssl
import subprocess
import time
from pathlib import Path

import pytest

from accounts.certificates import parse_dn, subject_email
from accounts.models import SecurityEvent
from tests.helpers import add_totp

NGINX = os.environ.get("NGINX_BIN", "")
PROXY_ADDRESS = "127.0.0.2"


def openssl(*args, cwd):
    # Our own arguments, to Debian's openssl (scripts/nginx.sh installs it).
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)  # noqa: S603, S607


def make_key_and_csr(folder: Path, name: str, subject: str) -> None:
    openssl(
        "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", subject, cwd=folder,
    )  # fmt: skip


def make_ca(folder: Path, name: str) -> None:
    openssl(
        "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-days", "2", "-subj", f"/CN={name}", "-keyout", f"{name}.key", "-out", f"{name}.pem",
        cwd=folder,
    )  # fmt: skip


def sign(folder: Path, name: str, ca: str, extensions: str) -> None:
    (folder / f"{name}.ext").write_text(extensions + "\n")
    openssl(
        "x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.pem", "-CAkey", f"{ca}.key",
        "-CAcreateserial", "-days", "2", "-extfile", f"{name}.ext", "-out", f"{name}.pem",
        cwd=folder,
    )  # fmt: skip


def client_cert(folder: Path, name: str, subject: str, ca: str = "ca") -> None:
    make_key_and_csr(folder, name, subject)
    sign(folder, name, ca, "extendedKeyUsage=clientAuth")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


NGINX_CONF = """
worker_processes 1;
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
    server {{
        listen 127.0.0.1:{port} ssl;
        ssl_certificate {dir}/server.pem;
        ssl_certificate_key {dir}/server.key;
        ssl_client_certificate {dir}/ca.pem;
        ssl_verify_client optional;
        location / {{
            proxy_pass http://127.0.0.1:{app_port};
            proxy_bind {proxy_address};
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto https;
            proxy_set_header X-SSL-Client-Verify $ssl_client_verify;
            proxy_set_header X-SSL-Client-S-DN $ssl_client_s_dn;
        }}
    }}
}}
"""


@pytest.fixture(scope="session")
def pki(tmp_path_factory):
    """The test CA, nginx's server certificate, and client certificates (one of another CA)."""
    if not NGINX:
        pytest.skip("no nginx: run under scripts/nginx.sh (make test does)")
    folder = tmp_path_factory.mktemp("pki")
    make_ca(folder, "ca")
    make_ca(folder, "other-ca")
    make_key_and_csr(folder, "server", "/CN=127.0.0.1")
    sign(folder, "server", "ca", "subjectAltName=IP:127.0.0.1,DNS:localhost")
    client_cert(folder, "ann", "/O=Example Test/CN=Ann Smith/emailAddress=ann@example.com")
    client_cert(folder, "bob", "/O=Example Test/OU=Staff/CN=bob")
    client_cert(folder, "nobody", "/O=Example Test/CN=Nobody/emailAddress=nobody@example.com")
    client_cert(
        folder, "forger", "/O=Example Test/CN=Ann Smith/emailAddress=ann@example.com", "other-ca"
    )
    return folder


@pytest.fixture(scope="session")
def nginx(pki, live_server):
    """nginx in front of the live server: its https port. Stopped by its pid at the end."""
    port = free_port()
    for folder in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (pki / folder).mkdir(exist_ok=True)
    app_port = live_server.url.rsplit(":", 1)[1]
    conf = pki / "nginx.conf"
    conf.write_text(
        NGINX_CONF.format(
            dir=pki,
            port=port,
            app_port=app_port,
            proxy_address=PROXY_ADDRESS,
            # As root nginx's workers would run as nobody, who cannot read the test folder.
            user="user root;" if os.geteuid() == 0 else "",
        )
    )
    process = subprocess.Popen(  # noqa: S603  the nginx of scripts/nginx.sh, our config
        [NGINX, "-p", str(pki), "-e", str(pki / "error.log"), "-c", str(conf), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
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
        yield port
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)


def fetch(port, path, *, cert=None, folder=None, headers=None, https=True, cookie=None):
    """(status, headers, body) of one GET; `cert` names a client certificate in `folder`."""
    if https:
        context = ssl.create_default_context(cafile=str(folder / "ca.pem"))
        if cert:
            context.load_cert_chain(str(folder / f"{cert}.pem"), str(folder / f"{cert}.key"))
        conn = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=10)
    else:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    sent = dict(headers or {})
    if cookie:
        sent["Cookie"] = cookie
    try:
        conn.request("GET", path, headers=sent)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode()
    finally:
        conn.close()


@pytest.fixture
def cert_site(site_dir, settings, transactional_db):
    settings.TRUSTED_PROXIES = [PROXY_ADDRESS]
    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
    write_settings(site_dir)
    site_dir.write("pages/index.yaml", "title: Home\nblocks: [who/me]\n")
    site_dir.write("apps/who/blocks/me.yaml", "elements:\n  me: BASIC\n")
    site_dir.write(
        "apps/who/blocks/me.py",
        "def me(context):\n"
        "    return 'signed-in:' + (context.user.username if context.user else 'anonymous')\n",
    )
    return site_dir


def write_settings(site_dir, otp=""):
    site_dir.write(
        "settings.yaml",
        "title: T\n"
        "auth:\n"
        f"{otp}"
        "  certificates:\n"
        "    email: true\n"
        '    subject_pattern: "CN=(?P<username>[^,]+),OU=Staff,O=Example Test"\n',
    )


def who(body: str) -> str:
    return body.split("signed-in:", 1)[1].split("<", 1)[0].strip() if "signed-in:" in body else ""


@pytest.fixture
def people(user_factory):
    return {
        "ann": user_factory("ann", email="ann@example.com"),
        "bob": user_factory("bob", email="robert@example.com"),
    }


def test_a_valid_certificate_signs_in_the_user_of_its_email(cert_site, people, nginx, pki):
    status, _, body = fetch(nginx, "/", cert="ann", folder=pki)
    assert status == 200
    assert who(body) == "ann"


def test_a_subject_pattern_names_the_user(cert_site, people, nginx, pki):
    status, _, body = fetch(nginx, "/", cert="bob", folder=pki)
    assert (status, who(body)) == (200, "bob")


def test_without_a_certificate_the_visitor_is_anonymous(cert_site, people, nginx, pki):
    status, _, body = fetch(nginx, "/", folder=pki)
    assert (status, who(body)) == (200, "anonymous")


def test_headers_a_client_sends_through_nginx_are_replaced(cert_site, people, nginx, pki):
    forged = {
        "X-SSL-Client-Verify": "SUCCESS",
        "X-SSL-Client-S-DN": "CN=bob,OU=Staff,O=Example Test",
    }
    status, _, body = fetch(nginx, "/", folder=pki, headers=forged)
    assert (status, who(body)) == (200, "anonymous")


def test_a_certificate_of_another_ca_is_refused_by_nginx(cert_site, people, nginx, pki):
    status, _, body = fetch(nginx, "/", cert="forger", folder=pki)
    assert status == 400
    assert "SSL certificate error" in body
    assert "signed-in:" not in body


def test_a_forged_header_straight_to_the_application_is_ignored(
    cert_site, people, live_server, nginx
):
    port = int(live_server.url.rsplit(":", 1)[1])
    forged = {
        "X-SSL-Client-Verify": "SUCCESS",
        "X-SSL-Client-S-DN": "CN=bob,OU=Staff,O=Example Test",
    }
    status, _, body = fetch(port, "/", https=False, headers=forged)
    assert (status, who(body)) == (200, "anonymous")


def test_a_certificate_that_names_nobody_is_an_ordinary_visitor(cert_site, people, nginx, pki):
    status, _, body = fetch(nginx, "/", cert="nobody", folder=pki)
    assert (status, who(body)) == (200, "anonymous")
    event = SecurityEvent.objects.get(kind="login_failed")
    assert event.detail == (
        "client certificate 'emailAddress=nobody@example.com,CN=Nobody,O=Example Test' names no user"
    )


def test_the_session_ends_when_the_certificate_is_gone(cert_site, people, nginx, pki):
    status, headers, body = fetch(nginx, "/", cert="ann", folder=pki)
    cookie = headers["Set-Cookie"].split(";", 1)[0]
    assert who(body) == "ann"
    _, _, body = fetch(nginx, "/", cert="ann", folder=pki, cookie=cookie)
    assert who(body) == "ann"
    _, _, body = fetch(nginx, "/", folder=pki, cookie=cookie)
    assert who(body) == "anonymous"


@pytest.mark.parametrize(("trusted", "status"), [("[]", 302), ("[certificate]", 200)])
def test_second_factor_after_a_certificate_unless_trusted(
    cert_site, people, nginx, pki, trusted, status
):
    write_settings(cert_site, f"  otp:\n    required_for: [ann]\n    trusted_methods: {trusted}\n")
    got, headers, body = fetch(nginx, "/", cert="ann", folder=pki)
    assert got == status
    if status == 302:
        assert headers["Location"].startswith("/accounts/2fa/")
    else:
        assert who(body) == "ann"


def test_parse_dn_reads_nginx_subjects():
    assert parse_dn(r"emailAddress=ann@example.com,CN=Smith\, Ann,O=Example") == [
        ("emailAddress", "ann@example.com"),
        ("CN", "Smith, Ann"),
        ("O", "Example"),
    ]
    assert parse_dn(r"CN=J\C3\BCrgen+UID=jm,O=X") == [("CN", "Jürgen"), ("UID", "jm"), ("O", "X")]
    assert subject_email("CN=a,E=a@example.com") == "a@example.com"
    assert subject_email("CN=a,O=b") == ""


def test_a_certificate_user_with_a_device_enters_a_code(cert_site, people, nginx, pki):
    add_totp(people["ann"])
    status, headers, _ = fetch(nginx, "/", cert="ann", folder=pki)
    assert status == 302
    assert headers["Location"].startswith("/accounts/2fa/verify/")
