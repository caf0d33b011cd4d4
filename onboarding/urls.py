from django.urls import path

from onboarding import bulk_views, people_views, views

app_name = "onboarding"
urlpatterns = [
    path("municipalities/", views.municipality_list, name="municipality_list"),
    path("municipalities/export.csv", views.municipality_export, name="municipality_export"),
    path("municipalities/new/", people_views.municipality_create, name="municipality_create"),
    path("municipalities/import/", people_views.municipality_import, name="municipality_import"),
    path("people/", people_views.user_list, name="user_list"),
    path("people/invite/", people_views.user_invite, name="user_invite"),
    path("people/<int:pk>/reset/", people_views.user_reset, name="user_reset"),
    path("people/<int:pk>/active/", people_views.user_active, name="user_active"),
    path(
        "municipalities/<str:code>/users/invite/",
        views.municipal_user_invite,
        name="municipal_user_invite",
    ),
    path("integrations/", views.integration_list, name="integration_list"),
    path("integrations/export.csv", views.integration_export, name="integration_export"),
    path("integrations/bulk/", bulk_views.integration_bulk, name="integration_bulk"),
    path(
        "integrations/bulk/result/",
        bulk_views.integration_bulk_result,
        name="integration_bulk_result",
    ),
    path("integrations/register/", bulk_views.integration_register, name="integration_register"),
    path("integrations/new/", views.integration_create, name="integration_create"),
    path("integrations/<int:pk>/", views.integration_detail, name="integration_detail"),
    path("integrations/<int:pk>/edit/", views.integration_edit, name="integration_edit"),
    path(
        "integrations/<int:pk>/contacts/", views.integration_contacts, name="integration_contacts"
    ),
    path("integrations/<int:pk>/move/", views.integration_move, name="integration_move"),
    path("integrations/<int:pk>/retire/", views.integration_retire, name="integration_retire"),
    path(
        "integrations/<int:pk>/uploader/", views.integration_uploader, name="integration_uploader"
    ),
    path(
        "integrations/<int:pk>/uploader/<str:name>",
        views.integration_uploader_file,
        name="integration_uploader_file",
    ),
    path("board/", views.board, name="board"),
    path("prefectures/", views.prefectures, name="prefectures"),
    path("vendors/", views.vendor_list, name="vendor_list"),
    path("vendors/new/", views.vendor_create, name="vendor_create"),
    path("vendors/<slug:slug>/", views.vendor_detail, name="vendor_detail"),
    path("vendors/<slug:slug>/edit/", views.vendor_edit, name="vendor_edit"),
    path("vendors/<slug:slug>/tokens/", views.vendor_token_create, name="vendor_token_create"),
    path(
        "vendors/<slug:slug>/tokens/<int:token_id>/revoke/",
        views.vendor_token_revoke,
        name="vendor_token_revoke",
    ),
]
