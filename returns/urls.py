from django.urls import path

from returns import views

app_name = "returns"

urlpatterns = [
    path("", views.mailbox, name="mailbox"),
    path("<int:pk>/", views.message_detail, name="message"),
    path("<int:pk>/resubmit/", views.resubmit, name="resubmit"),
    path("resubmit/", views.resubmit_file, name="resubmit-file"),
]
