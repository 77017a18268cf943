"""Root URLs: admin, sign-in, API v1 + schema, and each app's pages."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from leadcrm import health, views
from leadcrm.login import ThrottledLoginView

admin.site.site_header = "LeadCRM administration"
admin.site.site_title = "LeadCRM"
admin.site.index_title = "Sales floor configuration"

api_v1: list[URLPattern | URLResolver] = [
    path("", views.api_root, name="api-root"),
    path("auth/token/", views.TokenObtainApi.as_view(), name="auth-token"),
    path("", include("campaigns.api.urls")),
    path("", include("assignments.api.urls")),
    path("reports/", include("reporting.api.urls")),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("accounts/login/", ThrottledLoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    path("reports/", include("reporting.urls")),
    path("", include("assignments.urls")),
]
