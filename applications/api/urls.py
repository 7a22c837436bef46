from django.urls import path

from applications.api.views import (
    ApplicationDetailView,
    ApplicationListCreateView,
    ApplicationSubmitView,
    FormDetailView,
    FormListView,
)

urlpatterns = [
    path("applications/forms/", FormListView.as_view(), name="api-application-forms"),
    path(
        "applications/forms/<str:code>/",
        FormDetailView.as_view(),
        name="api-application-form",
    ),
    path("applications/", ApplicationListCreateView.as_view(), name="api-applications"),
    path("applications/<int:pk>/", ApplicationDetailView.as_view(), name="api-application"),
    path(
        "applications/<int:pk>/submit/",
        ApplicationSubmitView.as_view(),
        name="api-application-submit",
    ),
]
