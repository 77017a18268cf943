from django.urls import path
from rest_framework.routers import SimpleRouter

from assignments.api.views import AssignmentViewSet, MeApi

router = SimpleRouter()
router.register("assignments", AssignmentViewSet, basename="assignment")

urlpatterns = [path("me/", MeApi.as_view(), name="me"), *router.urls]
