"""The folder channel's result: the original archived, both result files in ``outbox/``."""

from pathlib import Path

from django.conf import settings
from django.utils import timezone

from intake.folder import lib as dropbox
from intake.models import FolderItem
from uploads import results
from uploads.models import Submission


def deliver_folder(submission: Submission) -> None:
    item = FolderItem.objects.get(submission=submission)
    claimed = Path(item.claimed_path)
    if not item.archived_path and claimed.exists():
        when = timezone.localtime(submission.received_at)
        item.archived_path = str(dropbox.archive(claimed, submission_id=submission.pk, when=when))
    report_json, result_csv = results.result_files(submission)
    layout = dropbox.Layout(Path(settings.PMH_DROPBOX_ROOT) / item.dropbox_name)
    names = results.result_names(dropbox.outbox_base(item.name))
    dropbox.write_outbox(layout, names, report_json=report_json, result_csv=result_csv)
    item.outbox_written_at = timezone.now()
    item.save(update_fields=["archived_path", "outbox_written_at"])
