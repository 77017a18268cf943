"""Who may call the lead endpoints."""

from rest_framework.permissions import BasePermission

from campaigns.api.auth import SupplierPrincipal
from leadcrm.roles import is_manager, is_rep


def lead_viewer(user) -> str | None:
    """The caller's role for lead reads: supplier, manager, rep, or None."""
    if isinstance(user, SupplierPrincipal):
        return "supplier"
    if is_manager(user):
        return "manager"
    if is_rep(user):
        return "rep"
    return None


class IsSupplier(BasePermission):
    message = "Only a supplier API key (Authorization: Api-Key <key>) may post leads."

    def has_permission(self, request, view) -> bool:
        return isinstance(request.user, SupplierPrincipal)


class CanReadLeads(BasePermission):
    message = "Only suppliers, managers and reps may read leads."

    def has_permission(self, request, view) -> bool:
        return lead_viewer(request.user) is not None
