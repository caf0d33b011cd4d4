from django.conf import settings
from django.contrib.auth import SESSION_KEY, logout
from django.contrib.auth import middleware as auth_middleware
from django.http import JsonResponse
from django.shortcuts import resolve_url
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _

# The request attribute that tells the audit record why a session was signed out.
SIGNED_OUT_REASON = "_pmh_sign_out_reason"


class LoginRequiredMiddleware(auth_middleware.LoginRequiredMiddleware):
    """Django's LoginRequiredMiddleware, except for paths that answer their own way.

    The API (bearer tokens), /healthz and the inbound-check URL must never redirect to the
    login page; the views there decide what an anonymous caller gets.
    """

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path_info.startswith(settings.PMH_LOGIN_EXEMPT_PREFIXES):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)

    def handle_no_permission(self, request, view_func):
        # A script (the upload page's XHR) would follow the redirect and get the sign-in page
        # with a bare 200: tell it in words instead.
        if "application/json" in request.headers.get("Accept", ""):
            return JsonResponse(
                {
                    "submissions": [],
                    "errors": [
                        _(
                            "You were signed out because the session ended. "
                            "Sign in again, then send the files again."
                        )
                    ],
                    "login_url": resolve_url(self.get_login_url(view_func)),
                },
                status=401,
            )
        return super().handle_no_permission(request, view_func)


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


SIGNED_IN_AT = "pmh_signed_in_at"
SEEN_AT = "pmh_seen_at"
# Seen-times are written at most this often, so reading pages does not write a session per hit.
SEEN_RESOLUTION = 60


def _now() -> int:
    return int(timezone.now().timestamp())


def session_started(session) -> None:
    session[SIGNED_IN_AT] = session[SEEN_AT] = _now()


def _expiry_reason(session, now: int) -> str | None:
    signed_in = session.setdefault(SIGNED_IN_AT, now)
    if now - signed_in > settings.SESSION_COOKIE_AGE:
        return "session_age"
    seen = session.get(SEEN_AT, now)
    idle = settings.PMH_SESSION_IDLE_SECONDS
    if idle and now - seen > idle:
        return "idle"
    if SEEN_AT not in session or now - seen >= SEEN_RESOLUTION:
        session[SEEN_AT] = now
    return None


class SessionTimeoutMiddleware:
    """Sign out a session past its absolute age (SESSION_COOKIE_AGE) or idle too long.

    Django's own expiry moves forward with every session write, so the absolute age is kept
    from the sign-in time; the idle limit is PMH_SESSION_IDLE_SECONDS (0 turns it off).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if SESSION_KEY in request.session:
            reason = _expiry_reason(request.session, _now())
            if reason is not None:
                setattr(request, SIGNED_OUT_REASON, reason)
                logout(request)
        return self.get_response(request)
