"""Settings pick their engines from the environment, in a fresh interpreter each time."""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings

PROBE = (
    "import json, django; from django.conf import settings; django.setup();"
    "db = settings.DATABASES['default'];"
    "print(json.dumps({'engine': db['ENGINE'], 'name': str(db['NAME']), 'options': db.get('OPTIONS', {}),"
    "'layer': settings.CHANNEL_LAYERS['default']['BACKEND'], 'cache': settings.CACHES['default']['BACKEND'],"
    "'q_broker': 'redis' if 'redis' in settings.Q_CLUSTER else 'orm', 'conn_max_age': db['CONN_MAX_AGE'],"
    "'save_limit': settings.Q_CLUSTER['save_limit']}))"
)


# The role `manage.py run` gives the child running each command (leadcrm/management/commands/run.py).
ROLE_OF_COMMAND = {"qcluster": "tasks", "floor_clock": "clock"}


def settings_with(env: dict[str, str], *, command: str = "", argv: tuple[str, ...] = ()) -> dict:
    """The settings of a fresh process with this environment; command: as `run` starts it (its role set)."""
    clean = {k: v for k, v in os.environ.items()
             if k not in {"DATABASE_URL", "REDIS_URL", "Q_BROKER", "LEADCRM_PROCESS_ROLE"}}
    clean.update(env, DJANGO_SETTINGS_MODULE="leadcrm.settings.local")
    if command:
        clean["LEADCRM_PROCESS_ROLE"] = ROLE_OF_COMMAND[command]
    out = subprocess.run([sys.executable, "-c", PROBE, *argv], env=clean, cwd=settings.BASE_DIR,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_no_database_url_means_embedded_sqlite_in_wal_with_immediate_transactions(tmp_path):
    conf = settings_with({"SQLITE_PATH": str(tmp_path / "x.sqlite3")})
    assert conf["engine"] == "leadcrm.sqlite_backend"  # Django's, with writers queued on a lock file
    assert conf["name"] == str(tmp_path / "x.sqlite3")
    assert conf["options"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in conf["options"]["init_command"]
    assert "busy_timeout" in conf["options"]["init_command"]
    assert conf["layer"] == "channels.layers.InMemoryChannelLayer"
    assert conf["cache"].endswith("LocMemCache")
    assert conf["q_broker"] == "orm"


def test_postgres_database_url_means_postgresql():
    conf = settings_with({"DATABASE_URL": "postgres://someone@db.example:5433/leadcrm"})
    assert conf["engine"] == "django.db.backends.postgresql"
    assert conf["name"] == "leadcrm"


def test_redis_url_switches_channel_layer_and_cache_and_optionally_the_broker():
    conf = settings_with({"REDIS_URL": "redis://127.0.0.1:6379/3"})
    assert conf["layer"] == "channels_redis.core.RedisChannelLayer"
    assert conf["cache"] == "django.core.cache.backends.redis.RedisCache"
    assert conf["q_broker"] == "orm"
    assert settings_with({"REDIS_URL": "redis://127.0.0.1:6379/3", "Q_BROKER": "redis"})["q_broker"] == "redis"


@pytest.mark.parametrize("database_url", ["", "postgres://someone@db.example:5433/leadcrm"])
def test_only_the_task_cluster_and_floor_clock_keep_their_connection(tmp_path, database_url):
    env = {"SQLITE_PATH": str(tmp_path / "x.sqlite3"), **({"DATABASE_URL": database_url} if database_url else {})}
    assert settings_with(env)["conn_max_age"] == 0  # web: executor threads, one connection per request
    assert settings_with(env, command="qcluster")["conn_max_age"] == 60
    assert settings_with(env, command="floor_clock")["conn_max_age"] == 60


def test_the_process_role_comes_from_the_environment_not_the_command_line(tmp_path):
    sqlite = {"SQLITE_PATH": str(tmp_path / "x.sqlite3")}
    postgres = {"DATABASE_URL": "postgres://someone@db.example:5433/leadcrm"}
    for role, keeps in (("web", False), ("tasks", True), ("clock", True)):
        assert settings_with({**sqlite, "LEADCRM_PROCESS_ROLE": role})["conn_max_age"] == (60 if keeps else 0)
        assert ("pool" in settings_with({**postgres, "LEADCRM_PROCESS_ROLE": role})["options"]) is not keeps
    assert settings_with({**sqlite, "LEADCRM_PROCESS_ROLE": "clock", "DB_CONN_MAX_AGE": "5"})["conn_max_age"] == 5
    # The command line no longer decides: a process named like a cluster without the variable is a web process.
    assert settings_with(sqlite, argv=("qcluster",))["conn_max_age"] == 0
    assert settings_with(sqlite, argv=("floor_clock",))["conn_max_age"] == 0


def test_an_unknown_process_role_stops_the_settings(tmp_path):
    with pytest.raises(subprocess.CalledProcessError) as failed:
        settings_with({"SQLITE_PATH": str(tmp_path / "x.sqlite3"), "LEADCRM_PROCESS_ROLE": "cluster"})
    assert "LEADCRM_PROCESS_ROLE must be one of web, tasks, clock, got 'cluster'" in failed.value.stderr


def test_web_processes_borrow_postgresql_connections_from_a_bounded_pool(tmp_path):
    postgres = {"DATABASE_URL": "postgres://someone@db.example:5433/leadcrm"}
    assert settings_with(postgres)["options"]["pool"] == {"min_size": 1, "max_size": 8, "timeout": 5}
    assert settings_with({**postgres, "DB_POOL_MAX": "20"})["options"]["pool"]["max_size"] == 20
    assert "pool" not in settings_with({**postgres, "DB_POOL_MAX": "0"})["options"]
    assert "pool" not in settings_with(postgres, command="qcluster")["options"]  # keeps one connection instead
    assert "pool" not in settings_with({"SQLITE_PATH": str(tmp_path / "x.sqlite3")})["options"]


def test_task_cluster_keeps_failures_only(tmp_path):
    assert settings_with({"SQLITE_PATH": str(tmp_path / "x.sqlite3")})["save_limit"] == -1


@pytest.mark.django_db
def test_embedded_sqlite_connection_really_uses_wal(tmp_path):
    """The pragmas run on a real file database, not only in the settings dict."""
    script = ("import django; django.setup(); from django.db import connection;"
              "c = connection.cursor(); c.execute('PRAGMA journal_mode'); print(c.fetchone()[0])")
    env = {**os.environ, "SQLITE_PATH": str(tmp_path / "wal.sqlite3"),
           "DJANGO_SETTINGS_MODULE": "leadcrm.settings.local"}
    env.pop("DATABASE_URL", None)
    out = subprocess.run([sys.executable, "-c", script], env=env, cwd=settings.BASE_DIR,
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "wal"
