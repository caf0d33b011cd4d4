from django.urls import path

from connectivity import views

app_name = "connectivity"
urlpatterns = [
    path("reachability/", views.overview, name="overview"),
    path("reachability/integrations/<int:pk>/", views.integration_matrix, name="integration"),
    path("reachability/integrations/<int:pk>/inbound/", views.inbound_issue, name="inbound_issue"),
    path(
        "reachability/integrations/<int:pk>/alerts/",
        views.alert_recipients,
        name="alert_recipients",
    ),
    path("reachability/targets/new/", views.target_create, name="target_create"),
    path("reachability/targets/<int:pk>/", views.target_detail, name="target"),
    path("reachability/targets/<int:pk>/edit/", views.target_edit, name="target_edit"),
    path("reachability/targets/<int:pk>/delete/", views.target_delete, name="target_delete"),
    path("reachability/targets/<int:pk>/run/", views.target_run, name="target_run"),
    path("reachability/maintenance/", views.maintenance, name="maintenance"),
    path(
        "reachability/maintenance/<int:pk>/delete/",
        views.maintenance_delete,
        name="maintenance_delete",
    ),
    path("inbound/<str:token>", views.inbound, name="inbound"),
]
