from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, reverse_lazy
from django.views.generic import RedirectView
from django_rq.urls import get_api_urlpatterns

from console import queues
from console import views as console_views
from console.access import operator_required
from intake.api import pmhapi  # noqa: F401 (PMH's registration endpoints join the API)
from intake.api.views import api


def _rq_patterns() -> list:
    """django-rq's stats JSON (operators only) and the console's own Japanese queue page in
    place of django-rq's English admin pages (issue 18 point 7)."""
    patterns = get_api_urlpatterns()
    for pattern in patterns:
        pattern.callback = operator_required(pattern.callback)
    return [
        *patterns,
        path("", queues.queues, name="home"),
        path(
            "queues/<int:queue_index>/<str:job_id>/requeue/",
            queues.requeue_job,
            name="requeue_job",
        ),
    ]


urlpatterns = [
    path("healthz", console_views.healthz, name="healthz"),
    path("api/v1/", api.urls),
    path(
        "login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # The one-time link of an invitation (onboarding.services.municipal_user_invite).
    path(
        "password/set/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="registration/password_set.html",
            success_url=reverse_lazy("login"),
        ),
        name="password_set",
    ),
    path("i18n/", include("django.conf.urls.i18n")),
    # One sign-in page for the whole console (throttled and audited): the admin's goes there.
    path("admin/login/", RedirectView.as_view(pattern_name="login", query_string=True)),
    path("admin/", admin.site.urls),
    # The job queues, for operators only (RQ's stats JSON too, whatever its token says).
    path("django-rq/", include((_rq_patterns(), "django_rq"))),
    path("", include("onboarding.urls")),
    path("", include("connectivity.urls")),
    path("", include("uploads.urls")),
    path("", include("helpdesk.urls")),
    path("", include("intake.urls")),
    path("", include("dashboard.urls")),
]
