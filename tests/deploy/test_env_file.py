"""Settings read the environment and a `.env` file; the real environment wins (contract §1)."""

from .conftest import clean_env, manage


def test_without_a_secret_key_manage_py_refuses(tmp_path):
    result = manage("check_site", env=clean_env(ENV_FILE=tmp_path / "missing.env"))
    assert result.returncode == 1
    assert "SECRET_KEY is not set" in result.stderr


def test_the_env_file_gives_the_secret_key(tmp_path, strong_key):
    env_file = tmp_path / ".env"
    env_file.write_text(f"SECRET_KEY={strong_key}\nDEBUG=1\n")
    result = manage("check_site", env=clean_env(ENV_FILE=env_file))
    assert result.returncode == 0, result.stderr
    assert "The site folder has no problems." in result.stderr


def test_the_environment_wins_over_the_env_file(tmp_path, strong_key):
    env_file = tmp_path / ".env"
    env_file.write_text(f"SECRET_KEY=from-the-file-{strong_key}\nDEBUG=1\nTIME_ZONE=Europe/Paris\n")
    result = manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.DEBUG, settings.TIME_ZONE, settings.SECRET_KEY)",
        env=clean_env(ENV_FILE=env_file, DEBUG="0", SECRET_KEY=strong_key, ALLOWED_HOSTS="x"),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].split() == ["False", "Europe/Paris", strong_key]
