from django.conf import settings
from django.contrib.auth import middleware as auth_middleware
from django.utils.cache import add_never_cache_headers


class LoginRequiredMiddleware(auth_middleware.LoginRequiredMiddleware):
    """Django's LoginRequiredMiddleware, except for paths that answer their own way.

    The API (bearer tokens), /healthz and the inbound-check URL must never redirect to the
    login page; the views there decide what an anonymous caller gets.
    """

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path_info.startswith(settings.PMH_LOGIN_EXEMPT_PREFIXES):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


class NoStoreMiddleware:
    """Pages of a signed-in user may show personal data: no browser or proxy keeps them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if getattr(request, "user", None) is not None and request.user.is_authenticated:
            add_never_cache_headers(response)
            response.headers["Cache-Control"] = "no-store, private, max-age=0"
        return response
