"""The managers-only gates of leadcrm.roles: the page decorator and the DRF permission, for an anonymous caller,
a rep, a staff user outside the managers group, a supplier key and a sales manager."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse
from django.test import RequestFactory
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory, force_authenticate
from rest_framework.views import APIView

from campaigns.api.auth import ApiKeyAuthentication
from leadcrm.roles import IsManager, manager_required
from tests.factories import ManagerFactory, RepFactory, UserFactory, supplier_with_key

pytestmark = pytest.mark.django_db


@manager_required
def plain_page(request):
    return HttpResponse("for managers")


@manager_required(message="The board is for sales managers.")
def worded_page(request, pk):
    return HttpResponse(f"board {pk}")


def get(view, user, path="/board/7/?tab=reps", **kwargs):
    request = RequestFactory().get(path)
    request.user = user
    return view(request, **kwargs)


@pytest.mark.parametrize("view, kwargs", [(plain_page, {}), (worded_page, {"pk": 7})])
def test_anonymous_is_sent_to_sign_in_and_back(view, kwargs):
    response = get(view, AnonymousUser(), **kwargs)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/board/7/%3Ftab%3Dreps"


def test_a_rep_gets_the_forbidden_page_with_the_views_reason():
    response = get(worded_page, RepFactory().user, pk=7)
    assert response.status_code == 403
    html = response.content.decode()
    assert "Not for this account" in html and "The board is for sales managers." in html


def test_without_a_reason_the_page_says_it_is_for_managers():
    response = get(plain_page, UserFactory())
    assert response.status_code == 403
    assert "This page is for sales managers." in response.content.decode()


def test_staff_outside_the_managers_group_is_not_a_manager():
    response = get(plain_page, UserFactory(is_staff=True))
    assert response.status_code == 403


def test_a_manager_gets_the_page():
    response = get(worded_page, ManagerFactory(), pk=7)
    assert response.status_code == 200 and response.content == b"board 7"
    assert worded_page.__name__ == "worded_page"  # wraps keeps the view's name (URL reversing, admin)


class ManagersOnlyApi(APIView):
    authentication_classes = [TokenAuthentication, SessionAuthentication, ApiKeyAuthentication]
    permission_classes = [IsManager]

    def get(self, request):
        return Response({"ok": True})


class WordedApi(ManagersOnlyApi):
    permission_classes = [type("BoardForManagers", (IsManager,), {"message": "The board is for sales managers."})]


def call(view_class, user=None, **headers):
    request = APIRequestFactory().get("/api/v1/board/", **headers)
    if user is not None:
        force_authenticate(request, user=user)
    return view_class.as_view()(request)


def test_permission_anonymous_is_401():
    response = call(ManagersOnlyApi)
    assert response.status_code == 401


def test_permission_rep_and_plain_staff_are_403_with_the_message():
    for user in (RepFactory().user, UserFactory(is_staff=True)):
        response = call(ManagersOnlyApi, user)
        assert response.status_code == 403
        assert response.data == {"detail": "Only sales managers may do this."}
    assert call(WordedApi, RepFactory().user).data == {"detail": "The board is for sales managers."}


def test_permission_supplier_key_is_403():
    key = supplier_with_key(name="Key Supplier")[1]
    assert call(ManagersOnlyApi, HTTP_AUTHORIZATION=f"Api-Key {key}").status_code == 403


def test_permission_manager_passes():
    response = call(ManagersOnlyApi, ManagerFactory())
    assert response.status_code == 200 and response.data == {"ok": True}
