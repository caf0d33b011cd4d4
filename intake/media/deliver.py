from uploads.models import Submission


def deliver_media(submission: Submission) -> None:
    """An operator hands the result files over (downloads on the handover page)."""
