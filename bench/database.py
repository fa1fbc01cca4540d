"""Where a benchmark's data lives: a database of its own per size, never the demo's.

`configure` must run before `django.setup()`: the settings module reads the environment once.
"""

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
BENCH_VAR_DIR = ROOT / "var" / "bench"
DEFAULT_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
ENGINES = ("sqlite", "postgresql")


@dataclass(frozen=True)
class Target:
    """The database one run uses: its engine and its name as Django's settings will hold it."""

    db: str
    name: str


def configure(db: str, size: int) -> Target:
    """Point the settings at the bench database for `size`, creating it when it is missing."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "linkwell.settings"
    os.environ["LINKWELL_ENV"] = "development"
    # Template debugging and query logging are development costs, not the page's.
    os.environ.setdefault("DEBUG", "false")
    if db == "sqlite":
        var_dir = BENCH_VAR_DIR / f"sqlite-{size}"
        var_dir.mkdir(parents=True, exist_ok=True)
        os.environ["LINKWELL_VAR_DIR"] = str(var_dir)
        # Blank rather than unset: settings reads .env without overriding what is set here.
        os.environ["DATABASE_URL"] = ""
        return Target(db, str(var_dir / "linkwell.sqlite3"))
    if db == "postgresql":
        admin_url = os.environ.get("BENCH_DATABASE_URL") or DEFAULT_ADMIN_URL
        name = f"linkwell_bench_{size}"
        _create_database(admin_url, name)
        os.environ["DATABASE_URL"] = urlunsplit(urlsplit(admin_url)._replace(path=f"/{name}"))
        return Target(db, name)
    raise ValueError(f"Unknown database engine {db!r}; expected one of {ENGINES}.")


def check_isolated(target: Target) -> None:
    """Refuse to go on unless Django is connected to the bench database (after django.setup())."""
    from django.db import connection

    actual = str(connection.settings_dict["NAME"])
    if actual != target.name:
        raise SystemExit(f"bench: settings name {actual!r}, not the bench database {target.name!r}")


def _create_database(admin_url: str, name: str) -> None:
    try:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if exists is None:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                print(f"bench: created database {name}", file=sys.stderr)
    except psycopg.OperationalError as error:
        where = urlsplit(admin_url)._replace(netloc=urlsplit(admin_url).hostname or "").geturl()
        raise SystemExit(f"bench: cannot use BENCH_DATABASE_URL ({where}): {error}") from error
