"""The submissions panel of the integration page, with its own context.

`templates/onboarding/integration_detail.html` includes `uploads/_integration_panel.html`,
which calls this tag: the onboarding view needs to know nothing about submissions.
"""

from django import template
from django.conf import settings

from uploads.access import can_see_result, can_upload
from uploads.forms import UploadForm
from uploads.models import LayoutMapping

register = template.Library()
RECENT = 10
# What a duplicate shows of the first submission's result (issue 18.4).
SHOWN_FIELDS = ("status", "verdict", "rows", "errors", "warnings", "file_purged_at")


@register.inclusion_tag("uploads/_panel.html", takes_context=True)
def submissions_panel(context, integration):
    user = context["request"].user
    recent = list(
        integration.submissions.select_related("duplicate_of").only(
            "pk",
            "integration_id",
            "original_name",
            "channel",
            "mode",
            "status",
            "verdict",
            "received_at",
            "size",
            "progress_bytes",
            "errors",
            "warnings",
            "rows",
            "duplicate_of_id",
            *(f"duplicate_of__{name}" for name in SHOWN_FIELDS),
        )[:RECENT]
    )
    for submission in recent:
        submission.visible = can_see_result(user, submission)
    return {
        "integration": integration,
        "recent": recent,
        "can_upload": can_upload(user, integration),
        "layout_mapping": LayoutMapping.objects.filter(
            integration=integration, use_for_submissions=True
        )
        .select_related("current")
        .first(),
        "form": UploadForm(),
        # The browser checks the count before sending (Django refuses more with a bare 400).
        "max_files": settings.DATA_UPLOAD_MAX_NUMBER_FILES,
        "csrf_token": context.get("csrf_token"),
        "request": context["request"],
    }
