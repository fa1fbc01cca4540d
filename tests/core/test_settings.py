"""Settings come from the environment; production refuses unsafe ones."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GOOD_KEY = "k" * 20 + "-production-test-key-that-is-long-enough-0123456789"
PRODUCTION = {
    "LINKWELL_ENV": "production",
    "SECRET_KEY": GOOD_KEY,
    "ALLOWED_HOSTS": "linkwell.example.org",
    "DEBUG": "false",
}


# Variables of the test run that must not leak into the settings under test.
NOT_INHERITED = {"DATABASE_URL", "SECRET_KEY", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}


def clean_env(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
    # A developer's .env must not fill the gaps these tests leave on purpose.
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "linkwell.settings",
            "LINKWELL_READ_DOTENV": "false",
            **overrides,
        }
    )
    return env


def run_manage(*args: str, **env_overrides: str) -> subprocess.CompletedProcess:
    """Run `manage.py ARGS` in a fresh interpreter with these variables."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean_env(**env_overrides),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def run_django(code: str, **env_overrides: str) -> subprocess.CompletedProcess:
    """Run `code` after django.setup() in a fresh interpreter with these variables."""
    env = clean_env(**env_overrides)
    script = f"import django\ndjango.setup()\n{code}"
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("key", ["", "   "])
def test_production_refuses_an_empty_secret_key(key):
    result = run_django("", **{**PRODUCTION, "SECRET_KEY": key})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_refuses_a_short_secret_key():
    result = run_django("", **{**PRODUCTION, "SECRET_KEY": "short"})
    assert result.returncode != 0
    assert "at least 50 characters" in result.stderr


def test_production_refuses_debug():
    result = run_django("", **{**PRODUCTION, "DEBUG": "true"})
    assert result.returncode != 0
    assert "DEBUG must be off" in result.stderr


def test_production_refuses_no_allowed_hosts():
    env = dict(PRODUCTION)
    env["ALLOWED_HOSTS"] = ""
    result = run_django("", **env)
    assert result.returncode != 0
    assert "ALLOWED_HOSTS" in result.stderr


def test_check_deploy_is_clean_with_the_documented_variables():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_secrets_can_come_from_files(tmp_path):
    key_file = tmp_path / "secret_key"
    key_file.write_text(GOOD_KEY + "-from-a-file")
    env = {**PRODUCTION, "SECRET_KEY_FILE": str(key_file)}
    del env["SECRET_KEY"]
    result = run_django("from django.conf import settings; print(settings.SECRET_KEY)", **env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == GOOD_KEY + "-from-a-file"


def test_database_url_selects_postgresql():
    result = run_django(
        "from django.conf import settings; d = settings.DATABASES['default']; "
        "print(d['ENGINE'], d['NAME'], d['HOST'], d['PORT'])",
        DATABASE_URL="postgres://someone@db.example.org:6543/linkwell_x",
    )
    assert result.stdout.split() == [
        "django.db.backends.postgresql",
        "linkwell_x",
        "db.example.org",
        "6543",
    ]


def test_postgresql_connections_run_without_jit_unless_asked():
    url = "postgres://postgres@127.0.0.1:5432/postgres"
    show = (
        "from django.db import connection; c = connection.cursor(); "
        "c.execute('SHOW jit'); print(c.fetchone()[0])"
    )
    assert run_django(show, DATABASE_URL=url).stdout.strip() == "off"
    assert run_django(show, DATABASE_URL=url, DATABASE_JIT="true").stdout.strip() == "on"


def test_sqlite_runs_in_wal_mode_with_immediate_transactions(tmp_path):
    result = run_django(
        "from django.db import connection\n"
        "with connection.cursor() as c:\n"
        "    c.execute('PRAGMA journal_mode'); print(c.fetchone()[0])\n"
        "    c.execute('PRAGMA foreign_keys'); print(c.fetchone()[0])\n"
        "print(connection.transaction_mode)\n",
        LINKWELL_VAR_DIR=str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["wal", "1", "IMMEDIATE"]
    assert (tmp_path / "linkwell.sqlite3").exists()


def test_env_example_lists_every_variable():
    settings_text = (ROOT / "linkwell" / "settings.py").read_text()
    read = set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z_]+)"', settings_text))
    documented = set(re.findall(r"^([A-Z_]+)=", (ROOT / ".env.example").read_text(), re.M))
    assert read, "no variables found: the pattern is stale"
    assert read - documented == set()


def test_production_static_files_collect_and_the_stylesheet_is_hashed(tmp_path):
    result = run_manage("collectstatic", "--noinput", **PRODUCTION, STATIC_ROOT=str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    manifest = (tmp_path / "staticfiles.json").read_text()
    assert re.search(r'"build/linkwell.css": "build/linkwell\.[0-9a-f]{12}\.css"', manifest)
    assert (tmp_path / "nhsuk" / "nhsuk-frontend.min.js").exists()
