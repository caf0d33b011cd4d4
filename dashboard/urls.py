from django.urls import path

from dashboard import views

app_name = "dashboard"
urlpatterns = [
    path("", views.dashboard_view, name="dashboard"),
    path("municipalities/<str:code>/", views.municipality_detail, name="municipality_detail"),
    path("audit/", views.audit_list, name="audit"),
    path("audit/export.csv", views.audit_export, name="audit_export"),
]
