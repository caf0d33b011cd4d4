"""The verdict context of a submission (issue 18.4): everything besides its bytes that the
verdict depends on, and its fingerprint.

The same bytes give the same answer only while the context is the same: the integration's
choices and validation settings, the record layout and the layout doctor's mapping version in
use, the state of the test store, and the mode. A submission keeps the context it was judged
in; a file is a duplicate of an earlier submission only when bytes and fingerprint both match.

The test store's state is named by the last change made to it: the latest accepted submission
(each one is applied to the store) and the latest purge. A submission accepted and applied
records the store as it left it, so the same file sent again right after is still a duplicate
of it (a double send does not apply a differential file twice); any other change in between
makes the next copy validated again.
"""

from __future__ import annotations

import hashlib
import json

from django.utils.translation import gettext_lazy as _

from onboarding.models import Integration
from uploads.models import LayoutMapping, StorePurge, Submission, Verdict

LAYOUT = "pmh-medical-subsidy/1"

# What each part of the context is called on the page that says what changed.
LABELS = {
    "layout": _("record layout"),
    "mapping": _("layout mapping version"),
    "mode": _("mode"),
    "municipality": _("municipality code"),
    "programs": _("public expense payer numbers"),
    "mynumber_check": _("個人番号 check digit failures"),
    "insurer_check": _("公費負担者番号 and 受給者番号 check digit failures"),
    "insurer_check_programs": _("programs with lowered check digits"),
    "choices": _("integration choices"),
    "review": _("result review"),
    "store": _("test store"),
}


def store_stamp(integration_id: int) -> str:
    """The test store's state, named by its last change (accepted submission, purge)."""
    last_applied = (
        Submission.objects.filter(
            integration_id=integration_id, verdict=Verdict.ACCEPTED, duplicate_of=None
        )
        .exclude(validated_at=None)
        .order_by("-validated_at", "-pk")
        .values_list("pk", flat=True)
        .first()
    )
    last_purge = (
        StorePurge.objects.filter(integration_id=integration_id)
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
    )
    return f"s{last_applied or 0}-p{last_purge or 0}"


def after_applying(context: dict, submission_id: int) -> dict:
    """The context as an accepted submission leaves it: the store is named by that file."""
    purge = context["store"].split("-", 1)[1]
    return {**context, "store": f"s{submission_id}-{purge}"}


def mapping_in_use(integration_id: int) -> int | None:
    return (
        LayoutMapping.objects.filter(integration_id=integration_id, use_for_submissions=True)
        .values_list("current__number", flat=True)
        .first()
    )


def verdict_context(*, integration: Integration, mode: str, store: str | None = None) -> dict:
    """The context a file of ``integration`` in ``mode`` is judged in now (``store`` given
    when the caller knows the store's state better, e.g. after applying a file)."""
    return {
        "layout": LAYOUT,
        "mapping": mapping_in_use(integration.pk),
        "mode": mode,
        "municipality": integration.municipality.code,
        "programs": sorted(integration.programs or ()),
        "mynumber_check": "warning" if integration.mynumber_check_warning else "error",
        "insurer_check": "warning" if integration.insurer_check_warning else "error",
        "insurer_check_programs": sorted(integration.insurer_check_programs or ()),
        "choices": [
            integration.rework_method,
            integration.route,
            integration.data_mode,
            integration.test_access,
            integration.data_format,
        ],
        "review": integration.needs_review,
        "store": store if store is not None else store_stamp(integration.pk),
    }


def fingerprint(context: dict) -> str:
    text = json.dumps(context, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def changed_parts(before: dict | None, now: dict | None) -> list[str]:
    """The names (for people) of what differs between two contexts."""
    if not before or not now:
        return []
    return [str(LABELS.get(k, k)) for k in LABELS if before.get(k) != now.get(k)]
