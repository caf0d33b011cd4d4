from datetime import timedelta

from axes.models import AccessAttempt, AccessFailureLog
from django.contrib.sessions.models import Session
from django.utils import timezone


def clear_expired_sessions() -> int:
    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted


def clear_old_login_attempts(days: int = 30) -> int:
    cutoff = timezone.now() - timedelta(days=days)
    deleted, _ = AccessAttempt.objects.filter(attempt_time__lt=cutoff).delete()
    logs, _ = AccessFailureLog.objects.filter(attempt_time__lt=cutoff).delete()
    return deleted + logs
