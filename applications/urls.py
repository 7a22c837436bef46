from django.urls import path

from applications import views

app_name = "applications"

urlpatterns = [
    path("mine/", views.member_list, name="member-list"),
    path("mine/<int:pk>/", views.member_detail, name="member-detail"),
    path("attachments/<int:pk>/", views.attachment_file, name="attachment"),
]
