"""Find the PostgreSQL + Redis the scale-out tests use; say why they skip when absent.

`python -m tests.scale_env --explain` exits 0 when both answer, else prints the reason and exits 1.
"""

import os
import socket
import sys
from urllib.parse import urlparse

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/leadcrm"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


def database_url() -> str:
    url = os.environ.get("SCALE_DATABASE_URL") or os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    return url if url.startswith(("postgres", "pgsql")) else DEFAULT_DATABASE_URL


def redis_url() -> str:
    return os.environ.get("SCALE_REDIS_URL") or os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL


def _reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=1):
            return True
    except OSError:
        return False


def missing_reason() -> str:
    """Empty when PostgreSQL and Redis both accept connections, else what is missing."""
    missing = []
    if not _reachable(database_url(), 5432):
        missing.append(f"PostgreSQL not reachable at {urlparse(database_url()).netloc}")
    if not _reachable(redis_url(), 6379):
        missing.append(f"Redis not reachable at {urlparse(redis_url()).netloc}")
    return "; ".join(missing)


def main(argv: list[str]) -> int:
    if "--database-url" in argv:
        print(database_url())
        return 0
    if "--redis-url" in argv:
        print(redis_url())
        return 0
    reason = missing_reason()
    if reason:
        print(f"SKIPPED scale-out tests (PostgreSQL + Redis): {reason}. "
              "Start them or set SCALE_DATABASE_URL / SCALE_REDIS_URL to run them.")
        return 1
    print(f"Scale-out tests: PostgreSQL {urlparse(database_url()).netloc}, Redis {urlparse(redis_url()).netloc}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))


def fresh_database_url(name: str) -> str:
    """Drop and create database `name` next to the scale-out database; return its URL."""
    import psycopg

    base = database_url().rsplit("/", 1)[0]
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{base}/{name}"
