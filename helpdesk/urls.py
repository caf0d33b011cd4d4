from django.urls import path

from helpdesk import views

app_name = "helpdesk"

urlpatterns = [
    path("submissions/", views.history, name="history"),
    path("submissions/export.csv", views.history_export, name="history_export"),
    path(
        "submissions/integrations/<int:pk>/",
        views.integration_timeline,
        name="integration_timeline",
    ),
    path("errors/", views.queue, name="queue"),
    path("errors/assign/", views.assign, name="assign"),
    path("errors/bulk/", views.bulk, name="bulk"),
    path("errors/<int:pk>/", views.item, name="item"),
    path("errors/<int:pk>/update/", views.item_update, name="item_update"),
    path("errors/<int:pk>/state/", views.item_state, name="item_state"),
    path("errors/<int:pk>/comment/", views.item_comment, name="item_comment"),
    path("errors/<int:pk>/retry/", views.item_retry, name="item_retry"),
    path("errors/<int:pk>/reply/", views.item_reply, name="item_reply"),
    path("errors/templates/", views.template_list, name="template_list"),
    path("errors/templates/new/", views.template_edit, name="template_create"),
    path("errors/templates/<int:pk>/", views.template_edit, name="template_edit"),
]
