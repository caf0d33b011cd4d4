"""The audit record of sign-ins, downloads, exports and reprocessing (issue #11): who, what, when.

Views call `record()` once the action has happened; sign-ins and sign-outs come from Django's
auth signals. Text people type (user names, list filters) is masked like report values (runs of
12 or more digits keep their last 4), so a 個人番号 typed into a search box or the user name
field never lands here in full; identifiers such as a SHA-256 are kept whole.
"""

from typing import Any

from django.db import models
from django.http import HttpRequest, QueryDict

from coderules.masking import mask_text
from console.middleware import SIGNED_OUT_REASON, session_started
from console.models import AuditRecord
from console.requests import caller_of

Action = AuditRecord.Action
# Query parameters that page or sort a list rather than choose its rows.
_NOT_FILTERS = {"page", "per_page", "sort"}


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    return caller_of(request).source_address


def filters_of(query: QueryDict) -> dict[str, Any]:
    """The filters a list was asked for, as the audit keeps them: masked, empty ones left out."""
    used = {}
    for key, values in query.lists():
        values = [mask_text(v) for v in values if v.strip()]
        if values and key not in _NOT_FILTERS:
            used[key] = values[0] if len(values) == 1 else values
    return used


def record(
    request: HttpRequest | None,
    action: str,
    obj: models.Model | None = None,
    *,
    user=None,
    username: str | None = None,
    **detail: Any,
) -> AuditRecord:
    """Record `action` by the request's user (or `user`/`username`) on `obj`, with `detail`.

    `detail` holds identifiers the code chose; text a person typed goes through `filters_of`.
    """
    current = getattr(request, "user", None)
    if user is None and username is None and current is not None and current.is_authenticated:
        user = current
    if username is None:
        username = user.get_username() if user is not None else ""
    return AuditRecord.objects.create(
        user=user,
        username=mask_text(username)[:150],
        action=action,
        object_type=obj._meta.model_name if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=f"{obj._meta.verbose_name} #{obj.pk}"[:300] if obj is not None else "",
        detail=detail,
        ip=client_ip(request),
    )


def record_export(request: HttpRequest, list_name: str, rows: int) -> AuditRecord:
    return record(
        request, Action.EXPORT, list=list_name, filters=filters_of(request.GET), rows=rows
    )


# -- auth signals ----------------------------------------------------------------------------


def _signed_in(sender, request, user, **kwargs) -> None:
    session_started(request.session)
    record(request, Action.SIGN_IN, user=user)


def _sign_in_failed(sender, credentials, request=None, **kwargs) -> None:
    # Django has already replaced the password in `credentials` with stars.
    detail = {"locked_out": True} if getattr(request, "axes_locked_out", False) else {}
    name = str(credentials.get("username") or "")
    record(request, Action.SIGN_IN_FAILED, username=name, **detail)


def _signed_out(sender, request, user, **kwargs) -> None:
    if user is None:
        return
    reason = getattr(request, SIGNED_OUT_REASON, None)
    detail = {"reason": reason} if reason else {}
    record(request, Action.SIGN_OUT, user=user, **detail)


def connect() -> None:
    from django.contrib.auth import signals

    signals.user_logged_in.connect(_signed_in, dispatch_uid="pmh_audit_sign_in")
    signals.user_login_failed.connect(_sign_in_failed, dispatch_uid="pmh_audit_sign_in_failed")
    signals.user_logged_out.connect(_signed_out, dispatch_uid="pmh_audit_sign_out")
