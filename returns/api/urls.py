from django.urls import path

from returns.api import views

urlpatterns = [
    path("returns/messages/", views.MessageListView.as_view(), name="api-return-messages"),
    path(
        "returns/messages/<int:pk>/", views.MessageDetailView.as_view(), name="api-return-message"
    ),
    path("returns/files/<str:token>/", views.FileDownloadView.as_view(), name="api-return-file"),
    path("returns/zip/<str:token>/", views.ZipDownloadView.as_view(), name="api-return-zip"),
    path(
        "returns/resubmissions/",
        views.ResubmissionView.as_view(),
        name="api-return-resubmissions",
    ),
    path(
        "returns/resubmissions/<int:pk>/submit/",
        views.ResubmissionSubmitView.as_view(),
        name="api-return-resubmission-submit",
    ),
    path(
        "returns/schemas/resubmission-v1.json",
        views.ResubmissionSchemaView.as_view(),
        name=views.SCHEMA_URL_NAME,
    ),
]
