"""Settings for the PMH onboarding console.

Every value comes from the environment. With nothing set the console runs embedded: SQLite
under var/ and background jobs in the web process. DATABASE_URL and REDIS_URL switch to
PostgreSQL and RQ workers, which is how production and CI run.
"""

import os
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("PMH_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG")
# Used only when DEBUG is on; checks.py refuses to run without a real key otherwise.
DEV_SECRET_KEY = "django-insecure-pmh-console-development-only"  # noqa: S105
SECRET_KEY = os.environ.get("SECRET_KEY") or DEV_SECRET_KEY
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "console.admin_site.ConsoleAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tables2",
    "django_filters",
    "django_rq",
    "axes",
    "csp",
    "ninja",
    "console",
    "onboarding",
    "uploads",
    "connectivity",
    "helpdesk",
    "intake",
    "dashboard",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "console.middleware.SessionTimeoutMiddleware",
    "console.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "console.once.OnceMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "console.middleware.NoStoreMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "pmhadmin.urls"
WSGI_APPLICATION = "pmhadmin.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "dashboard.context_processors.navigation",
            ],
            # {% once_token %} in every form that changes something (console/once.py).
            "builtins": ["console.templatetags.once"],
        },
    },
]

# Databases: SQLite under var/ unless DATABASE_URL says otherwise.
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    # Connections are kept for a minute and checked before reuse, so the first request after a
    # PostgreSQL restart reconnects instead of failing on a dead connection.
    _database = dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
else:
    _database = {"ENGINE": "django.db.backends.sqlite3", "NAME": VAR_DIR / "db.sqlite3"}
if _database["ENGINE"] == "django.db.backends.sqlite3":
    # Every SQLite database, the embedded default or one named by DATABASE_URL: background jobs
    # write from threads of the web process and the periodic loop from another process; WAL,
    # immediate transactions and a busy timeout keep SQLite from answering "database is locked".
    _database["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        **_database.get("OPTIONS", {}),
    }
DATABASES = {"default": _database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "onboarding.User"

# Jobs: RQ on Redis when REDIS_URL is set, otherwise a thread pool in the web process.
REDIS_URL = os.environ.get("REDIS_URL", "")
PMH_JOBS_INLINE = not REDIS_URL
# None: "rq" with REDIS_URL, else "thread". Tests set "sync"; nothing changes it at run time
# (a command that wants its jobs finished before it returns says so: console.jobs.inline_jobs).
PMH_JOBS_MODE: str | None = None
RQ_QUEUE_NAMES = ("default", "intake", "validation", "probes")
_QUEUE_TIMEOUTS = {"default": 300, "intake": 600, "validation": 3600, "probes": 300}
RQ_QUEUES = {
    name: {"URL": REDIS_URL or "redis://127.0.0.1:6379/0", "DEFAULT_TIMEOUT": timeout}
    for name, timeout in _QUEUE_TIMEOUTS.items()
}
# django-rq's English admin pages are not mounted (in the admin either): the console has its
# own Japanese queue page (console/queues.py, issue 18.7).
RQ_SHOW_ADMIN_LINK = False
RQ = {"COMMIT_MODE": "on_db_commit", "WORKER_CLASS": "console.workers.ConsoleWorker"}

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "pmh",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard:dashboard"
LOGOUT_REDIRECT_URL = "login"
# Paths that answer their own way (JSON, one-time tokens) and never redirect to the login page.
PMH_LOGIN_EXEMPT_PREFIXES = ("/healthz", "/api/v1/", "/inbound/", "/static/", "/i18n/")

# Login throttling (django-axes): lock a username from an address after repeated failures.
AXES_FAILURE_LIMIT = env_int("PMH_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_IPWARE_PROXY_COUNT = env_int("PMH_PROXY_COUNT", 0)

# A session ends 8 hours after sign-in whatever happens, or after 30 idle minutes.
SESSION_COOKIE_AGE = env_int("PMH_SESSION_SECONDS", 8 * 3600)
PMH_SESSION_IDLE_SECONDS = env_int("PMH_SESSION_IDLE_SECONDS", 30 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_COOKIES = env_bool("PMH_SECURE_COOKIES", not DEBUG)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SECURE_SSL_REDIRECT = env_bool("PMH_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("PMH_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = False
# The browsers' HSTS preload list is for public internet names; LGWAN hosts are never on it.
SILENCED_SYSTEM_CHECKS = ["security.W021"]
if env_bool("PMH_BEHIND_TLS_PROXY"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}

LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", _("Japanese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Tokyo"
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# Bootstrap 5 markup with the console's shared pager (page numbers, first/last, page size).
DJANGO_TABLES2_TEMPLATE = "django_tables2/console.html"
DJANGO_TABLES2_TABLE_ATTRS = {"class": "table"}

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND") or (
    "django.core.mail.backends.smtp.EmailBackend"
    if os.environ.get("EMAIL_HOST")
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "pmh-console@localhost")

# Domain settings (console.md §6).
PMH_DROPBOX_ROOT = Path(os.environ.get("PMH_DROPBOX_ROOT", VAR_DIR / "dropbox"))
PMH_STORAGE_ROOT = Path(os.environ.get("PMH_STORAGE_ROOT", VAR_DIR / "files"))
PMH_MAIL_URL = os.environ.get("PMH_MAIL_URL", "")
# Mail without Authentication-Results (no SPF/DKIM/DMARC verdict of our MTA): accepted only
# when set; off unless DEBUG, so off in production (issue 17.11).
PMH_MAIL_ACCEPT_UNAUTHENTICATED = env_bool("PMH_MAIL_ACCEPT_UNAUTHENTICATED", DEBUG)
PMH_DEMO_PASSWORD = os.environ.get("PMH_DEMO_PASSWORD", "")
# Where `make run` serves the console (scripts/run-console.sh sets it from HOST and PORT): the
# demo's probe targets check its /healthz.
PMH_DEMO_URL = os.environ.get("PMH_DEMO_URL", "http://127.0.0.1:8000")
PMH_MAX_UPLOAD_MB = env_int("PMH_MAX_UPLOAD_MB", 512)
PMH_RETENTION_DAYS = env_int("PMH_RETENTION_DAYS", 90)
# The secret that seals the test store's keys (issue 17.2), kept outside the database; without
# it, one derived from SECRET_KEY. Changing it makes every stored record look new once.
PMH_STORE_KEY = os.environ.get("PMH_STORE_KEY") or f"pmh-test-store:{SECRET_KEY}"
PMH_DROPBOX_STABLE_SECONDS = env_int("PMH_DROPBOX_STABLE_SECONDS", 5)
PMH_FOLDER_POLL_SECONDS = env_int("PMH_FOLDER_POLL_SECONDS", 10)
PMH_MAIL_POLL_SECONDS = env_int("PMH_MAIL_POLL_SECONDS", 60)
PMH_REPORT_MAX_ISSUES = env_int("PMH_REPORT_MAX_ISSUES", 1000)
# Issue rows kept in the database per submission; the rest go to its result file only (17.5).
PMH_ISSUE_ROWS_MAX = env_int("PMH_ISSUE_ROWS_MAX", 10_000)
PMH_TRUSTED_PROXIES = env_list("PMH_TRUSTED_PROXIES")
# The widest source range a vendor may record itself (issue 17.12); wider ones need an operator.
PMH_VENDOR_RANGE_PREFIX_V4 = env_int("PMH_VENDOR_RANGE_PREFIX_V4", 16)
PMH_VENDOR_RANGE_PREFIX_V6 = env_int("PMH_VENDOR_RANGE_PREFIX_V6", 48)
PMH_API_RATE = os.environ.get("PMH_API_RATE", "60/m")
# Where PMH's own registration API shapes answer, under /api/v1/ (issue #20; paths are (H)).
PMH_REGISTRATION_API_PREFIX = os.environ.get("PMH_REGISTRATION_API_PREFIX", "pmh")
PMH_PERIODIC_TICK_SECONDS = env_int("PMH_PERIODIC_TICK_SECONDS", 10)
PMH_SUBMISSION_MAX_ATTEMPTS = env_int("PMH_SUBMISSION_MAX_ATTEMPTS", 3)
PMH_SUBMISSION_LEASE_SECONDS = env_int("PMH_SUBMISSION_LEASE_SECONDS", 120)
PMH_SUBMISSION_REQUEUE_SECONDS = env_int("PMH_SUBMISSION_REQUEUE_SECONDS", 120)
PMH_PROBE_ALERT_EMAILS = env_list("PMH_PROBE_ALERT_EMAILS")
PMH_PROBE_CONCURRENCY = env_int("PMH_PROBE_CONCURRENCY", 50)
PMH_PROBE_RAW_DAYS = env_int("PMH_PROBE_RAW_DAYS", 3)
PMH_PROBE_RETRY_DELAY = float(os.environ.get("PMH_PROBE_RETRY_DELAY") or 2.0)
# Without passing control targets, a probe sweep of at least this many targets in which this
# share failed is taken for the console's own network being down (connectivity._network_guard).
PMH_PROBE_GUARD_MIN_TARGETS = 10
PMH_PROBE_GUARD_FAILED_SHARE = 0.8
# Days an integration may wait in a stage before it counts as stuck (issue 22): highlighted on
# the board, listed on the dashboard, mailed daily to its vendor and contacts. 0 = never stuck.
# Each is overridden by PMH_STUCK_DAYS_<STAGE>, e.g. PMH_STUCK_DAYS_TESTING=45.
PMH_STUCK_DAYS = {
    stage: env_int(f"PMH_STUCK_DAYS_{stage.upper()}", days)
    for stage, days in (
        ("registered", 14),
        ("decided", 30),
        ("network_ok", 14),
        ("testing", 30),
        ("test_passed", 14),
        ("ready", 45),
        ("live", 0),
    )
}
# Vendor scorecards read the whole submission history: kept this long per scope (0 = never).
PMH_SCORECARD_CACHE_SECONDS = env_int("PMH_SCORECARD_CACHE_SECONDS", 300)
# The dashboard's top codes of the week and its two-week chart: kept this long per scope.
PMH_DASHBOARD_CACHE_SECONDS = env_int("PMH_DASHBOARD_CACHE_SECONDS", 60)
# Cards per stage on the onboarding board; the column links to the full list.
PMH_BOARD_CARDS = env_int("PMH_BOARD_CARDS", 20)

FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FILES = 50

# A technical error page (DEBUG=1) never shows credentials inside URLs (issue 17.10).
DEFAULT_EXCEPTION_REPORTER_FILTER = "console.debug.UrlSafeExceptionReporterFilter"
DEFAULT_EXCEPTION_REPORTER = "console.debug.UrlSafeExceptionReporter"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {
            "()": "console.logs.MaskedFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
        }
    },
    "filters": {"refusals_on_one_line": {"()": "console.logs.RefusalsOnOneLine"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["refusals_on_one_line"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}
