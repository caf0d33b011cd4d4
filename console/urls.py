from django.urls import path

from console import views

app_name = "console"
urlpatterns = [
    path("", views.dashboard_view, name="dashboard"),
    path("audit/", views.audit_list, name="audit"),
    path("audit/export.csv", views.audit_export, name="audit_export"),
]
