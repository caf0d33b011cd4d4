"""One action, one effect: a one-time token in every form that changes something.

Each rendered form carries a fresh token (`{% once_token %}`); the first POST that brings it
spends it, and any later POST with the same token (a double click, the back button and send
again, a reload that re-posts) is answered without running the view again.
"""

import secrets
import string
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import TooManyFilesSent
from django.db import IntegrityError, transaction
from django.http import JsonResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from console.models import UsedFormToken

FIELD = "_once"
# Spent tokens older than this are forgotten: no page stays open that long (sessions end sooner).
KEEP = timedelta(days=2)


def new_token() -> str:
    # Letters only (about 180 bits): a token never contains a run of digits that the
    # personal-data sweeps would take for a 個人番号.
    return "".join(secrets.choice(string.ascii_letters) for _ in range(32))


def spend(token: str) -> bool:
    """True the first time a token is spent, False every later time."""
    token = token[:64]
    try:
        with transaction.atomic():
            UsedFormToken.objects.create(token=token)
    except IntegrityError:
        return False
    return True


def forget_old(now=None) -> int:
    cutoff = (now or timezone.now()) - KEEP
    deleted, _unused = UsedFormToken.objects.filter(used_at__lt=cutoff).delete()
    return deleted


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _back(request, text: str, status: int):
    if _wants_json(request):
        return JsonResponse({"submissions": [], "errors": [text]}, status=status)
    messages.error(request, text)
    target = request.headers.get("Referer", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    return redirect(target)


def too_many_files(request):
    """Django refuses more than DATA_UPLOAD_MAX_NUMBER_FILES with a bare 400: say it in words."""
    limit = settings.DATA_UPLOAD_MAX_NUMBER_FILES
    text = _("Up to %(n)d files can be sent at once. Send them in batches of %(n)d or fewer.") % {
        "n": limit
    }
    return _back(request, text, 400)


def already_done(request):
    """The answer to a form sent a second time: back to where it came from, saying why."""
    text = _(
        "This form was already sent once, so it was not carried out again. "
        "Check the result on this page."
    )
    return _back(request, text, 409)


class OnceMiddleware:
    """Spends the form token of a POST before its view runs; a spent one stops the view."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method != "POST" or request.path_info.startswith(
            settings.PMH_LOGIN_EXEMPT_PREFIXES
        ):
            return None  # the API answers double sends with its Idempotency-Key
        try:
            token = request.POST.get(FIELD, "")
        except TooManyFilesSent:
            if not _wants_json(request):
                raise  # the plain form gets the 400 page, which says the same (bad-inputs.md)
            return too_many_files(request)
        if not token or spend(token):
            return None
        return already_done(request)
