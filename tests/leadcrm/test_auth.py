"""People sign in: browser login lands each role on its page; API tokens from /api/v1/auth/token/."""

import pytest
from rest_framework.authtoken.models import Token

from tests.factories import PASSWORD, RepFactory

pytestmark = pytest.mark.django_db


def test_token_for_valid_credentials_authenticates_later_requests(api_client, manager):
    response = api_client.post("/api/v1/auth/token/", {"username": manager.username, "password": PASSWORD},
                               format="json")
    assert response.status_code == 200
    token = response.json()["token"]
    assert Token.objects.get(user=manager).key == token
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api_client.get("/api/v1/").status_code == 200


@pytest.mark.parametrize("body", [
    {"username": "nobody", "password": "x"},
    {"username": "manager-x"},
    {},
])
def test_token_refused_with_json_errors_for_bad_credentials(api_client, manager, body):
    response = api_client.post("/api/v1/auth/token/", body, format="json")
    assert response.status_code == 400
    assert "errors" in response.json()
    assert not Token.objects.exists()


def test_token_refused_for_malformed_json(api_client):
    response = api_client.post("/api/v1/auth/token/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert "JSON parse error" in response.json()["errors"]["body"][0]


def test_wrong_token_is_401(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert api_client.get("/api/v1/").status_code == 401


def test_api_root_lists_entry_points(api_client):
    body = api_client.get("/api/v1/").json()
    assert body["auth-token"].endswith("/api/v1/auth/token/")


def test_login_page_renders_with_csrf(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert b"csrfmiddlewaretoken" in response.content


def test_rep_lands_on_rep_page_and_manager_on_admin(client, manager):
    rep = RepFactory()
    response = client.post("/accounts/login/", {"username": rep.user.username, "password": PASSWORD}, follow=False)
    assert response.status_code == 302
    assert client.get(response.url).url == "/rep/"
    client.logout()
    response = client.post("/accounts/login/", {"username": manager.username, "password": PASSWORD})
    assert client.get(response.url).url == "/admin/"


def test_wrong_password_stays_on_login_with_message(client, manager):
    response = client.post("/accounts/login/", {"username": manager.username, "password": "nope"})
    assert response.status_code == 200
    assert b"did not match" in response.content


def test_anonymous_home_goes_to_login(client):
    response = client.get("/")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_browser_login_is_throttled_after_repeated_failures(client, manager):
    from django.core.cache import cache

    cache.clear()
    for _ in range(10):
        assert client.post("/accounts/login/", {"username": manager.username, "password": "wrong"}).status_code == 200
    blocked = client.post("/accounts/login/", {"username": manager.username, "password": PASSWORD})
    assert blocked.status_code == 429 and blocked["Retry-After"] == "300"
    assert b"Too many sign-in attempts" in blocked.content
    assert "_auth_user_id" not in client.session
    other = client.post("/accounts/login/", {"username": "someone-else", "password": "x"})
    assert other.status_code == 200  # the pause is per username and address, not global
    cache.clear()
