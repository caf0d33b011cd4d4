from django.urls import path

from uploads import views

app_name = "uploads"

urlpatterns = [
    path("submissions/<int:pk>/", views.submission_detail, name="submission_detail"),
    path("submissions/<int:pk>/status.json", views.submission_status, name="submission_status"),
    path("submissions/<int:pk>/result.json", views.result_json, name="result_json"),
    path("submissions/<int:pk>/result.csv", views.result_csv, name="result_csv"),
    path("submissions/<int:pk>/original", views.original, name="original"),
    path(
        "integrations/<int:pk>/starter/<str:name>",
        views.integration_sample,
        name="integration_sample",
    ),
    # The record layout and the general sample: one page each, the same for every user.
    *(
        path(f"record-layout/{name}", views.record_layout, {"name": name}, name=url_name)
        for name, url_name in views.LAYOUT_URL_NAMES.items()
    ),
    path("review/", views.review_queue, name="review_queue"),
    path("review/<int:pk>/release/", views.review_release, name="review_release"),
]
