import django_rq
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from rq import Worker


@require_GET
@never_cache
@login_not_required
def healthz(request):
    body = {"database": "ok", "queue": "inline", "workers": 0}
    status = 200
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        body["database"] = "error"
        status = 503
    if not settings.PMH_JOBS_INLINE:
        try:
            conn = django_rq.get_connection("default")
            conn.ping()
            body["queue"] = "ok"
            body["workers"] = Worker.count(connection=conn)
        except Exception:
            body["queue"] = "error"
            status = 503
    return JsonResponse(body, status=status)
