"""`manage.py check --deploy`: silent with the six HTTPS variables on and a strong key (§7)."""

from .conftest import clean_env, manage

HTTPS_ON = {
    "SECURE_SSL_REDIRECT": "1",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1",
    "SECURE_HSTS_PRELOAD": "1",
    "SESSION_COOKIE_SECURE": "1",
    "CSRF_COOKIE_SECURE": "1",
}


def production_env(strong_key, **values):
    return clean_env(DEBUG="0", SECRET_KEY=strong_key, ALLOWED_HOSTS="site.example.com", **values)


def test_check_deploy_reports_no_issue_with_https_on(strong_key):
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING", env=production_env(strong_key, **HTTPS_ON)
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."


def test_check_deploy_names_each_https_setting_left_off(strong_key):
    result = manage("check", "--deploy", env=production_env(strong_key))
    for check in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert check in result.stderr


def test_a_proxy_header_is_read_as_header_and_value(strong_key):
    code = "from django.conf import settings; print(settings.SECURE_PROXY_SSL_HEADER)"
    env = production_env(strong_key, SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO,https")
    result = manage("shell", "-c", code, env=env)
    assert result.stdout.splitlines()[-1] == "('HTTP_X_FORWARDED_PROTO', 'https')"
    bad = manage("shell", "-c", code, env={**env, "SECURE_PROXY_SSL_HEADER": "https"})
    assert bad.returncode == 1
    assert (
        "SECURE_PROXY_SSL_HEADER must be HEADER,value (e.g. HTTP_X_FORWARDED_PROTO,https), "
        "found 'https'" in bad.stderr
    )


def test_the_trusted_proxies_come_from_the_environment(strong_key):
    code = "from django.conf import settings; print(settings.TRUSTED_PROXIES)"
    env = production_env(strong_key, TRUSTED_PROXIES="127.0.0.1,10.0.0.0/8")
    assert (
        manage("shell", "-c", code, env=env).stdout.splitlines()[-1]
        == "['127.0.0.1', '10.0.0.0/8']"
    )
