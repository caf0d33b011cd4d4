from django.urls import path

from uploads import views

app_name = "uploads"

urlpatterns = [
    path("submissions/<int:pk>/", views.submission_detail, name="submission_detail"),
    path("submissions/<int:pk>/status.json", views.submission_status, name="submission_status"),
    path("submissions/<int:pk>/result.json", views.result_json, name="result_json"),
    path("submissions/<int:pk>/result.csv", views.result_csv, name="result_csv"),
    path("submissions/<int:pk>/original", views.original, name="original"),
    path("review/", views.review_queue, name="review_queue"),
    path("review/<int:pk>/release/", views.review_release, name="review_release"),
]
