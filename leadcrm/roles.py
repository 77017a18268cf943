"""Who is who: managers are staff in the "Sales managers" group, reps have a Rep row, suppliers use keys.

The managers-only gates live here too: `manager_required` for pages, `IsManager` for DRF views.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from rest_framework.permissions import BasePermission

# The friendly 403 page of the site (templates/, not an app's): "Not for this account" with a reason.
FORBIDDEN_TEMPLATE = "assignments/forbidden.html"

# Apps whose every model a sales manager configures in the admin.
MANAGED_APPS = ("campaigns", "assignments", "reporting", "django_q", "admin")


def managers_group_sync(*, using: str = "default") -> Group:
    """Ensure the managers group exists and holds every permission of the managed apps (idempotent)."""
    group, _ = Group.objects.using(using).get_or_create(name=settings.MANAGERS_GROUP)
    perms = Permission.objects.using(using).filter(content_type__app_label__in=MANAGED_APPS)
    perms = perms | Permission.objects.using(using).filter(
        content_type__app_label="auth", content_type__model__in=["user"]
    ) | Permission.objects.using(using).filter(
        content_type__app_label="authtoken"
    ) | Permission.objects.using(using).filter(
        content_type__app_label="admin", codename="view_logentry"
    )
    group.permissions.set(perms)
    return group


def is_manager(user) -> bool:
    """A signed-in staff user who is a superuser or in the managers group."""
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return False
    return user.is_superuser or user.groups.filter(name=settings.MANAGERS_GROUP).exists()


def is_rep(user) -> bool:
    """A signed-in user with a Rep profile."""
    return user.is_authenticated and hasattr(user, "rep")


def forbidden_page(request: HttpRequest, *, message: str) -> HttpResponse:
    """The 403 page for a signed-in person this page is not for, saying why."""
    return render(request, FORBIDDEN_TEMPLATE, {"page": request.path, "message": message}, status=403)


def manager_required(view: Callable | None = None, *, message: str = "This page is for sales managers."):
    """Pages for sales managers only: anonymous -> the sign-in page (back here after), signed in but not a manager
    -> the 403 page with `message`. Use as @manager_required or @manager_required(message="...")."""
    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not is_manager(request.user):
                return forbidden_page(request, message=message)
            return view(request, *args, **kwargs)
        return wrapper
    return decorate if view is None else decorate(view)


class IsManager(BasePermission):
    """DRF: only sales managers (401 for an unauthenticated call, 403 for anyone else). Subclass to reword."""

    message = "Only sales managers may do this."

    def has_permission(self, request, view) -> bool:
        return is_manager(request.user)
