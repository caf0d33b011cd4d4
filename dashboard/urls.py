from django.urls import path

from dashboard import views

app_name = "dashboard"
urlpatterns = [
    path("", views.dashboard_view, name="dashboard"),
    path("home/", views.vendor_home, name="vendor_home"),
    path("municipalities/<str:code>/", views.municipality_detail, name="municipality_detail"),
    path("integrations/<int:pk>/report/", views.integration_report, name="integration_report"),
    path(
        "integrations/<int:pk>/report.pdf",
        views.integration_report_pdf,
        name="integration_report_pdf",
    ),
    path("integrations/report/", views.integrations_report, name="integrations_report"),
    path("integrations/report.pdf", views.integrations_report_pdf, name="integrations_report_pdf"),
    path("scorecards/", views.scorecards, name="scorecards"),
    path("scorecards/<slug:slug>/", views.scorecard_detail, name="scorecard"),
    path("audit/", views.audit_list, name="audit"),
    path("audit/export.csv", views.audit_export, name="audit_export"),
]
