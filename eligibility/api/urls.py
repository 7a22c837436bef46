from django.urls import path

from eligibility.api.views import MemberRecordDetailView, MemberRecordListView, StaffLookupView

urlpatterns = [
    path(
        "eligibility/records/",
        MemberRecordListView.as_view(),
        name="api-eligibility-records",
    ),
    path(
        "eligibility/records/<int:pk>/",
        MemberRecordDetailView.as_view(),
        name="api-eligibility-record",
    ),
    path("eligibility/lookup/", StaffLookupView.as_view(), name="api-eligibility-lookup"),
]
