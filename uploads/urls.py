from django.urls import path

from uploads import doctor_views, views

app_name = "uploads"

urlpatterns = [
    path("submissions/<int:pk>/", views.submission_detail, name="submission_detail"),
    path("submissions/<int:pk>/status.json", views.submission_status, name="submission_status"),
    path("submissions/<int:pk>/result.json", views.result_json, name="result_json"),
    path("submissions/<int:pk>/result.csv", views.result_csv, name="result_csv"),
    path("submissions/<int:pk>/original", views.original, name="original"),
    path(
        "submissions/<int:pk>/revalidate/",
        views.submission_revalidate,
        name="submission_revalidate",
    ),
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
    # The layout doctor (issue 24)
    path("integrations/<int:pk>/layout/", doctor_views.layout, name="layout"),
    path("integrations/<int:pk>/layout/diagnose/", doctor_views.diagnose, name="layout_diagnose"),
    path("integrations/<int:pk>/layout/edit/", doctor_views.edit, name="layout_edit"),
    path("integrations/<int:pk>/layout/use/", doctor_views.use, name="layout_use"),
    path("integrations/<int:pk>/layout/import/", doctor_views.import_json, name="layout_import"),
    path("integrations/<int:pk>/layout/mapping.json", doctor_views.export_json, name="layout_json"),
    path(
        "integrations/<int:pk>/layout/specification.<str:kind>",
        doctor_views.specification,
        name="layout_spec",
    ),
    path("submissions/<int:pk>/converted.csv", doctor_views.converted, name="converted_csv"),
    path("review/<int:pk>/release/", views.review_release, name="review_release"),
]
