"""Report API routes, included under /api/v1/reports/."""

from django.urls import path

from reporting.api import views

urlpatterns = [
    path("speed-to-lead/", views.SpeedToLeadReportApi.as_view(), name="report-speed-to-lead"),
    path("conversion-by-speed/", views.ConversionBySpeedReportApi.as_view(), name="report-conversion-by-speed"),
    path("suppliers/", views.SupplierReportApi.as_view(), name="report-suppliers"),
    path("campaigns/", views.CampaignReportApi.as_view(), name="report-campaigns"),
    path("buyers/", views.BuyerReportApi.as_view(), name="report-buyers"),
    path("reps/", views.RepReportApi.as_view(), name="report-reps"),
    path("fairness/", views.RepFairnessReportApi.as_view(), name="report-fairness"),
    path("declines/", views.RepDeclinesReportApi.as_view(), name="report-declines"),
    path("sla/", views.SlaReportApi.as_view(), name="report-sla"),
    path("follow-up/", views.FollowUpReportApi.as_view(), name="report-follow-up"),
    path("follow-up-campaigns/", views.FollowUpCampaignReportApi.as_view(), name="report-follow-up-campaigns"),
    path("follow-up-personas/", views.FollowUpPersonaReportApi.as_view(), name="report-follow-up-personas"),
    path("follow-up-attempts/", views.WonByAttemptsReportApi.as_view(), name="report-follow-up-attempts"),
]
