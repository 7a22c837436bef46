from django.urls import path

from core import views

urlpatterns = [
    path("signin/", views.signin, name="signin"),
    path("attorney/signin/", views.attorney_signin, name="attorney-signin"),
    path("member/callback/", views.member_idp_callback, name="member-idp-callback"),
    path("member/dev-signin/", views.dev_member_signin, name="dev-member-signin"),
    path("member/", views.member_home, name="member-home"),
    path("signout/", views.sign_out, name="signout"),
]
