"""Settings shared by every environment; the environment picks the engines.

No DATABASE_URL: embedded SQLite file (WAL, IMMEDIATE transactions, busy timeout).
DATABASE_URL=postgres://...: PostgreSQL. REDIS_URL: Redis for the channel layer
and the cache (throttles, locks); Q_BROKER=redis also moves the task broker there.
"""

from pathlib import Path

import dj_database_url

from leadcrm.env import email_settings, env_bool, env_int, env_list, env_str, secret_key

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env_str("LEADCRM_VAR_DIR", str(BASE_DIR / "var")))

SECRET_KEY = secret_key(VAR_DIR)
# Keys the salted hashes that keep erased people out of intake; set it to keep them valid across a SECRET_KEY change.
ERASURE_SECRET = env_str("ERASURE_SECRET", "")
# Retention (days; 0 keeps forever), applied by a daily task (assignments.services.retention).
RETAIN_DAYS = {
    "closed_leads": env_int("RETAIN_CLOSED_LEADS_DAYS", 0),  # then the person is erased; timings stay
    "snapshots": env_int("RETAIN_SNAPSHOTS_DAYS", 90),  # routing-lab snapshots (and profiles left unused)
    "outbox": env_int("RETAIN_OUTBOX_DAYS", 1),  # live messages already pushed
    "intake_attempts": env_int("RETAIN_INTAKE_ATTEMPTS_DAYS", 0),  # the intake log (supplier reports read it)
}
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "servestatic.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "import_export",
    "django_q",
    "channels",
    "leadcrm",
    "campaigns",
    "assignments",
    "reporting",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "servestatic.middleware.ServeStaticMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "leadcrm.middleware.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "leadcrm.urls"
WSGI_APPLICATION = "leadcrm.wsgi.application"
ASGI_APPLICATION = "leadcrm.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", "")
# The task cluster polls every 50 ms and the floor clock ticks every second: a new connection each time costs a
# PostgreSQL backend fork, or a SQLite open with its PRAGMAs, so those long-lived single-threaded processes keep
# theirs (health-checked). The ASGI web process runs sync code on a new executor thread per request, each of
# which would keep one: on PostgreSQL it borrows from a bounded pool instead (psycopg_pool).
# Which process this is comes from LEADCRM_PROCESS_ROLE: "web" (default: uvicorn and any other manage.py command),
# "tasks" (a django-q2 cluster) or "clock" (the floor clock). `manage.py run` sets it for the children it starts;
# a cluster or clock started by hand sets it itself (README, scale-out).
PROCESS_ROLES = ("web", "tasks", "clock")
PROCESS_ROLE = env_str("LEADCRM_PROCESS_ROLE", "web")
if PROCESS_ROLE not in PROCESS_ROLES:
    raise ValueError(f"environment variable LEADCRM_PROCESS_ROLE must be one of {', '.join(PROCESS_ROLES)}, "
                     f"got {PROCESS_ROLE!r}")
_LONG_LIVED = PROCESS_ROLE in ("tasks", "clock")
_CONN_MAX_AGE = env_int("DB_CONN_MAX_AGE", 60) if _LONG_LIVED else 0
DB_POOL_MAX = 0 if _LONG_LIVED else env_int("DB_POOL_MAX", 8)
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=_CONN_MAX_AGE, conn_health_checks=True)}
    if DB_POOL_MAX > 0 and DATABASES["default"]["ENGINE"].endswith("postgresql"):
        # timeout: how long a request waits for a free connection before answering 503 (Retry-After).
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": 1, "max_size": DB_POOL_MAX, "timeout": env_int("DB_POOL_TIMEOUT", 5)}
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "leadcrm.sqlite_backend",
            "NAME": env_str("SQLITE_PATH", str(VAR_DIR / "leadcrm.sqlite3")),
            "CONN_MAX_AGE": _CONN_MAX_AGE,
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": {
                # Writers queue on BEGIN IMMEDIATE instead of failing mid-transaction (and, in this backend, on
                # a lock file before it: leadcrm/sqlite_backend).
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
                "init_command": (
                    "PRAGMA journal_mode=WAL;"
                    "PRAGMA synchronous=NORMAL;"
                    "PRAGMA busy_timeout=30000;"
                    "PRAGMA foreign_keys=ON;"
                ),
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
DATABASE_ENGINE = "postgresql" if DATABASE_URL.startswith(("postgres", "pgsql")) else "sqlite"

# --- Redis: channel layer, cache, optional task broker ------------------------
REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "capacity": 1500, "expiry": 30},
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "leadcrm",
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Web processes ---------------------------------------------------------------
# HTTP requests one web process runs at once; more wait their turn, so websocket pushes are not starved
# (leadcrm/http_limit.py has the measurements).
HTTP_CONCURRENCY = env_int("HTTP_CONCURRENCY", 4)

# --- Background tasks (django-q2) --------------------------------------------
# retry must exceed timeout, max_attempts finite, catch_up off: see DESIGN.md traps.
Q_CLUSTER = {
    "name": "leadcrm",
    "workers": env_int("Q_WORKERS", 2),
    "timeout": 60,
    "retry": 90,
    "max_attempts": 5,
    "catch_up": False,
    "ack_failures": True,
    # Successful results are not kept: to prune them django-q2 locks and loads every stored row for each task,
    # which cost more than routing the lead. Failures are always kept (admin: Background tasks > Failed tasks).
    "save_limit": -1,
    "poll": 0.05,
    # The cluster checks its workers every 2 s, not 0.5 s: an idle `make run` wakes less (worker timeouts are 60 s).
    "guard_cycle": 2,
    "label": "Background tasks",
}
if REDIS_URL and env_str("Q_BROKER", "orm") == "redis":
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"
    Q_CLUSTER["broker_class"] = "leadcrm.task_broker.QuietOrmBroker"  # the ORM broker, cheap when idle on SQLite

# The floor clock: how often it re-offers waiting leads, and when a lead counts as stranded (lost task).
FLOOR_QUEUE_SECONDS = float(env_int("FLOOR_QUEUE_SECONDS", 15))
RECONCILE_AFTER_SECONDS = env_int("RECONCILE_AFTER_SECONDS", 30)
# Routing re-reads rules and reps' languages, skills, territories and hours at most this often per process.
ROUTING_CONFIG_CACHE_SECONDS = float(env_str("ROUTING_CONFIG_CACHE_SECONDS", "1"))

# --- Auth ---------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
MANAGERS_GROUP = "Sales managers"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"

# --- Alerts away from the page: email (EMAIL_URL) and teams' chat webhooks --------
# EMAIL_URL: smtp://host:port, smtp+tls://user:password@host:587, smtp+ssl://...:465 or console://; unset: no email.
_EMAIL = email_settings(env_str("EMAIL_URL", ""), timeout=env_int("EMAIL_TIMEOUT", 10))
EMAIL_ENABLED: bool = _EMAIL.pop("EMAIL_ENABLED")
EMAIL_DESCRIPTION: str = _EMAIL.pop("EMAIL_DESCRIPTION")  # for the startup line: never the password
globals().update(_EMAIL)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "LeadCRM <leadcrm@localhost>")
# Links in alerts (an offer opens in /rep/): where people reach this server. `manage.py run` sets it from its
# --host/--port when unset.
LEADCRM_BASE_URL = env_str("LEADCRM_BASE_URL", f"http://{env_str('HOST', '127.0.0.1')}:{env_str('PORT', '8000')}")
# A rep in no team gets the email after this many seconds of an unseen offer (teams set their own).
ALERT_UNSEEN_SECONDS = env_int("ALERT_UNSEEN_SECONDS", 60)

# --- I18N / time --------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Static -------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "leadcrm" / "static"]
# Serve straight from the app directories: no collectstatic step for `make run`.
SERVESTATIC_USE_FINDERS = True
SERVESTATIC_AUTOREFRESH = DEBUG

# --- API ----------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "leadcrm.api.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"login": "10/min"},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "LeadCRM API",
    "DESCRIPTION": "Lead intake for suppliers, offers and contacts for reps, reports for managers.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "ContactOutcomeEnum": "assignments.models.ContactAttempt.Outcome",
        "LeadOutcomeEnum": [("won", "Won"), ("lost", "Lost")],
        "LeadStatusEnum": "campaigns.models.Lead.Status",
        "AssignmentStatusEnum": "assignments.models.Assignment.Status",
        "RepStatusEnum": "assignments.models.Rep.Status",
    },
}

# Request bodies above this are refused before parsing (intake bulk needs ~1,000 leads).
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("MAX_BODY_BYTES", 2 * 1024 * 1024)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    # `manage.py run` sets WARNING for its children unless --verbose (leadcrm/management/commands/run.py).
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO").strip().upper() or "INFO"},
    # httpx logs every request's full URL at INFO: chat webhook URLs are secrets (and buyers' may hold tokens).
    "loggers": {"django.server": {"level": "WARNING"}, "httpx": {"level": "WARNING"}},
}
