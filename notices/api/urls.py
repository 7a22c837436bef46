from django.urls import path

from notices.api.views import BatchStatusView

urlpatterns = [
    path("notices/batches/<int:pk>/", BatchStatusView.as_view(), name="api-notices-batch"),
]
