"""The job queues in the console's own Japanese page (issue 18 point 7), in place of
django-rq's English admin pages (which also break the CSP with inline scripts): each queue's
counts and workers, its failed jobs with their error, and requeue for one failed job
(operators only, audited). django-rq's stats JSON stays for monitoring."""

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from console import audit
from console.access import operator_required

QUEUE_LABELS = {
    "default": gettext_lazy("General"),
    "intake": gettext_lazy("Receiving files"),
    "validation": gettext_lazy("Validation"),
    "probes": gettext_lazy("Reachability checks"),
}
FAILED_SHOWN = 50


def _queues() -> list:
    import django_rq

    return [django_rq.get_queue(name) for name in settings.RQ_QUEUE_NAMES]


def _queue(index: int):
    names = list(settings.RQ_QUEUE_NAMES)
    if settings.PMH_JOBS_INLINE or not 0 <= index < len(names):
        raise Http404
    import django_rq

    return django_rq.get_queue(names[index])


def _failed_jobs(queue) -> list[dict]:
    registry = queue.failed_job_registry
    jobs = []
    for job in queue.job_class.fetch_many(
        registry.get_job_ids(0, FAILED_SHOWN - 1), connection=queue.connection
    ):
        if job is None:
            continue
        error = (job.exc_info or "").strip().splitlines()
        jobs.append(
            {
                "id": job.id,
                "function": job.func_name,
                "ended_at": job.ended_at,
                "error": error[-1] if error else "",
                "traceback": job.exc_info or "",
            }
        )
    return jobs


def _summary(index: int, queue) -> dict:
    from rq import Worker

    return {
        "index": index,
        "name": queue.name,
        "label": QUEUE_LABELS.get(queue.name, queue.name),
        "queued": queue.count,
        "started": queue.started_job_registry.count,
        "scheduled": queue.scheduled_job_registry.count,
        "deferred": queue.deferred_job_registry.count,
        "finished": queue.finished_job_registry.count,
        "failed": queue.failed_job_registry.count,
        "workers": Worker.count(queue=queue),
        "failed_jobs": _failed_jobs(queue),
    }


@operator_required
@require_GET
def queues(request):
    context = {"inline": settings.PMH_JOBS_INLINE, "queues": [], "error": ""}
    if not settings.PMH_JOBS_INLINE:
        try:
            context["queues"] = [_summary(i, q) for i, q in enumerate(_queues())]
        except Exception as exc:  # Redis down: the page still answers, and says so.
            context["error"] = str(exc)[:200]
    return render(request, "console/queues.html", context)


def _failed_job(queue, job_id: str):
    if job_id not in queue.failed_job_registry.get_job_ids():
        raise Http404
    return job_id


@operator_required
@require_POST
def requeue_job(request, queue_index: int, job_id: str):
    queue = _queue(queue_index)
    queue.failed_job_registry.requeue(_failed_job(queue, job_id))
    audit.record(request, audit.Action.JOB_REQUEUE, queue=queue.name, jobs=[job_id])
    messages.success(request, _("The job was queued again."))
    return redirect("django_rq:home")
