from django.conf import settings
from django.core.management.base import CommandError

from intake.mail.lib import MailboxError
from intake.mail.receive import mail_poll

from ._polling import PollingCommand


class Command(PollingCommand):
    help = "Takes the waiting messages of the intake mailbox PMH_MAIL_URL (console.md §3.2)."
    interval_setting = "PMH_MAIL_POLL_SECONDS"

    def handle(self, *args, **options):
        if not settings.PMH_MAIL_URL:
            raise CommandError("PMH_MAIL_URL is not set.")
        super().handle(*args, **options)

    def run_once(self) -> str:
        try:
            done = mail_poll()
        except MailboxError as exc:
            raise CommandError(str(exc)) from None
        return (
            f"processed {len(done.processed)}, quarantined {len(done.quarantined)}, "
            f"duplicates {len(done.duplicates)}, submissions {len(done.submissions)}"
        )
