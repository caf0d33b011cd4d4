from django.conf import settings
from django.core.checks import Error, Tags, Warning, register


@register(Tags.security, deploy=True)
def secret_key_check(app_configs, **kwargs):
    # A deploy check, so that makemigrations and the tests run without a key; the WSGI entry
    # point refuses to serve without one (pmhadmin/wsgi.py).
    if not settings.DEBUG and settings.SECRET_KEY == settings.DEV_SECRET_KEY:
        return [
            Error(
                "SECRET_KEY is not set.",
                hint="Set SECRET_KEY in the environment, or DEBUG=1 for development only.",
                id="pmh.E001",
            )
        ]
    return []


@register()
def paths_check(app_configs, **kwargs):
    errors = []
    for name in ("PMH_DROPBOX_ROOT", "PMH_STORAGE_ROOT"):
        path = getattr(settings, name)
        if path.exists() and not path.is_dir():
            errors.append(Error(f"{name} ({path}) is not a directory.", id="pmh.E002"))
    for name in (
        "PMH_MAX_UPLOAD_MB",
        "PMH_RETENTION_DAYS",
        "PMH_REPORT_MAX_ISSUES",
        "PMH_ISSUE_ROWS_MAX",
    ):
        if getattr(settings, name) <= 0:
            errors.append(Error(f"{name} must be a positive number.", id="pmh.E003"))
    return errors


@register()
def services_check(app_configs, **kwargs):
    url = settings.DATABASES["default"]["ENGINE"]
    if settings.REDIS_URL and url.endswith("sqlite3"):
        return [
            Warning(
                "REDIS_URL is set but the database is SQLite.",
                hint="RQ workers run in other processes; use PostgreSQL (DATABASE_URL) with them.",
                id="pmh.W001",
            )
        ]
    return []
