"""Top-level URL configuration."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from core.admin_login import LockoutAwareAdminAuthenticationForm
from core.views import admin_login, home

api_v1 = [
    path("", include("core.api.urls")),
    path("", include("eligibility.api.urls")),
    path("", include("applications.api.urls")),
    path("", include("returns.api.urls")),
    path("", include("notices.api.urls")),
]

# Under /api/, an unmatched URL or a refused request answers with the API's JSON error body.
handler404 = "core.api.fallbacks.not_found"
handler400 = "core.api.fallbacks.bad_request"

urlpatterns = [
    path("", home, name="home"),
    # Before the admin's own URLs: its login form behind the sign-in rate limit.
    path("admin/login/", admin_login),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("core.urls")),
    path("applications/", include("applications.urls")),
    path("returns/", include("returns.urls")),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's init script from its own URL: no inline script (CSP).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
]

handler403 = "core.views.permission_denied"

admin.site.site_header = "協会けんぽ 業務システム"
admin.site.site_title = "協会けんぽ 業務システム"
admin.site.index_title = "業務メニュー"
admin.site.login_form = LockoutAwareAdminAuthenticationForm
