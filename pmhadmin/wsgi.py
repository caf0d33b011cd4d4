import os

from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pmhadmin.settings")
_django = get_wsgi_application()

# After the setup above: the answers it gives load the API's models.
from pmhadmin.chunked import wrap  # noqa: E402

# Request bodies sent with Transfer-Encoding: chunked are read first (console.chunked).
application = wrap(_django)


def _refuse_development_key() -> None:
    from django.conf import settings

    if not settings.DEBUG and settings.SECRET_KEY == settings.DEV_SECRET_KEY:
        raise ImproperlyConfigured("SECRET_KEY is not set: set it in the environment to serve.")


_refuse_development_key()
