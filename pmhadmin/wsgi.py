import os

from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pmhadmin.settings")
application = get_wsgi_application()


def _refuse_development_key() -> None:
    from django.conf import settings

    if not settings.DEBUG and settings.SECRET_KEY == settings.DEV_SECRET_KEY:
        raise ImproperlyConfigured("SECRET_KEY is not set: set it in the environment to serve.")


_refuse_development_key()
