"""Who is who: managers are staff in the "Sales managers" group, reps have a Rep row, suppliers use keys."""

from django.conf import settings
from django.contrib.auth.models import Group, Permission

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
