"""Lead API routes, included under /api/v1/."""

from django.urls import path

from campaigns.api.views import LeadBulkIntakeApi, LeadByExternalIdApi, LeadDetailApi, LeadListIntakeApi

urlpatterns = [
    path("leads/", LeadListIntakeApi.as_view(), name="lead-list"),
    path("leads/bulk/", LeadBulkIntakeApi.as_view(), name="lead-bulk"),
    path("leads/<int:pk>/", LeadDetailApi.as_view(), name="lead-detail"),
    path("leads/by-external-id/<str:external_id>/", LeadByExternalIdApi.as_view(), name="lead-by-external-id"),
]
