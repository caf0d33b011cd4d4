from django.urls import path

from intake import views
from intake.web import views as web

app_name = "intake"

urlpatterns = [
    path("integrations/<int:pk>/upload/", web.upload, name="upload"),
    path("integrations/<int:pk>/media/", views.media_list, name="media_list"),
    path("media/<int:pk>/", views.media_detail, name="media_detail"),
    path("media/<int:pk>/import/", views.media_import, name="media_import"),
    path("submissions/<int:pk>/redeliver/", views.redeliver, name="redeliver"),
]
