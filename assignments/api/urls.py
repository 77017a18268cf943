from django.urls import path
from rest_framework.routers import SimpleRouter

from assignments.api import pool_views, rep_views, work_views
from assignments.api.views import AssignmentViewSet, MeApi

router = SimpleRouter()
router.register("assignments", AssignmentViewSet, basename="assignment")

urlpatterns = [
    path("me/", MeApi.as_view(), name="me"),
    path("leads/<int:lead_id>/notes/", work_views.LeadNoteCreateApi.as_view(), name="lead-notes"),
    path("leads/<int:lead_id>/timeline/", work_views.LeadTimelineApi.as_view(), name="lead-timeline"),
    path("leads/<int:lead_id>/callbacks/", work_views.LeadCallbackCreateApi.as_view(), name="lead-callbacks"),
    path("leads/<int:lead_id>/stage/", work_views.LeadStageApi.as_view(), name="lead-stage"),
    path("leads/<int:lead_id>/assign/", work_views.LeadAssignApi.as_view(), name="lead-assign"),
    path("leads/<int:lead_id>/erase/", work_views.LeadEraseApi.as_view(), name="lead-erase"),
    path("leads/<int:lead_id>/release/", work_views.LeadReleaseApi.as_view(), name="lead-release"),
    path("reps/<int:rep_id>/status/", rep_views.RepStatusApi.as_view(), name="rep-status"),
    path("people/export/", work_views.PersonExportApi.as_view(), name="person-export"),
    path("pool/", pool_views.PoolListApi.as_view(), name="pool-list"),
    path("pool/<int:lead_id>/claim/", pool_views.PoolClaimApi.as_view(), name="pool-claim"),
    path("callbacks/", work_views.CallbackListApi.as_view(), name="callback-list"),
    path("callbacks/<int:callback_id>/done/", work_views.CallbackDoneApi.as_view(), name="callback-done"),
    path("my-leads/", work_views.MyLeadsApi.as_view(), name="my-leads"),
    path("reasons/", work_views.ReasonListApi.as_view(), name="reasons"),
    *router.urls,
]
