"""People's entry points: the home redirect, API tokens, the API root."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from drf_spectacular.utils import extend_schema
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.throttling import ScopedRateThrottle

from leadcrm.roles import is_manager, is_rep


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send each person to their page: reps to /rep/, managers to the admin."""
    if is_rep(request.user):
        return redirect("/rep/")
    if is_manager(request.user):
        return redirect("admin:index")
    return redirect("admin:index") if request.user.is_staff else redirect("api-root")


class TokenObtainApi(ObtainAuthToken):
    """POST username + password, get {"token": "..."}; throttled against guessing."""

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"


@extend_schema(exclude=True)
@api_view(["GET"])
@permission_classes([AllowAny])
def api_root(request: Request, format=None) -> Response:
    """Links to the API's entry points."""
    links = {"auth-token": reverse("auth-token", request=request, format=format),
             "schema": reverse("schema", request=request, format=format),
             "docs": reverse("swagger-ui", request=request, format=format)}
    return Response(links)
