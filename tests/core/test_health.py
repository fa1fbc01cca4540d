"""/healthz answers ok with a working database, 503 without one."""

from tests.core.test_settings import run_django

HEALTH = (
    "from django.test import Client\n"
    "r = Client().get('/healthz')\n"
    "print(r.status_code, r.content.decode())\n"
)


def test_healthy(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_postgresql_unreachable_is_503():
    # Nothing listens on port 1: a real refused connection.
    result = run_django(HEALTH, DATABASE_URL="postgres://postgres@127.0.0.1:1/linkwell")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == '503 {"status": "error", "database": "error"}'


def test_sqlite_unreachable_is_503(tmp_path):
    result = run_django(HEALTH, LINKWELL_VAR_DIR=str(tmp_path / "no" / "such" / "dir"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == '503 {"status": "error", "database": "error"}'


def test_server_error_page_renders_without_a_request_context():
    # Django renders 500.html with an empty context; it must not need a user or a database.
    from django.template.loader import render_to_string

    html = render_to_string("500.html")
    assert "Sorry, there is a problem with the service" in html
    assert 'href="#maincontent"' in html
