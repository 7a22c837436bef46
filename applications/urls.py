from django.urls import path

from applications import views
from applications.web import views as site

app_name = "applications"

urlpatterns = [
    path("mine/", views.member_list, name="member-list"),
    path("mine/<int:pk>/", views.member_detail, name="member-detail"),
    path("mine/<int:pk>/done/", site.done, name="file-done"),
    path("file/", site.catalogue, name="file-catalogue"),
    path("file/<slug:code>/", site.choose_record, name="file-record"),
    path("drafts/<int:pk>/", site.entry, name="file-entry"),
    path("drafts/<int:pk>/confirm/", site.confirm, name="file-confirm"),
    path("drafts/<int:pk>/files/<slug:item_id>/", site.pending_file, name="file-pending"),
    path("banks/", site.banks, name="banks"),
    path("banks/<slug:bank_code>/branches/", site.branches, name="branches"),
    path("attachments/<int:pk>/", views.attachment_file, name="attachment"),
]
