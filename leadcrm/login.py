"""Browser sign-in, throttled per client address and username so passwords cannot be guessed at speed."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

MAX_FAILURES = 10
WINDOW_SECONDS = 300


def _key(request: HttpRequest) -> str:
    username = (request.POST.get("username") or "").strip().lower()[:150]
    return f"login-failures:{request.META.get('REMOTE_ADDR', '')}:{username}"


class ThrottledLoginView(auth_views.LoginView):
    """Django's login view; after MAX_FAILURES failed tries in WINDOW_SECONDS the pair is refused with 429."""

    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if cache.get(_key(request), 0) >= MAX_FAILURES:
            response = render(request, "registration/login_throttled.html",
                              {"minutes": WINDOW_SECONDS // 60}, status=429)
            response["Retry-After"] = str(WINDOW_SECONDS)
            return response
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form) -> HttpResponse:
        key = _key(self.request)
        if not cache.add(key, 1, WINDOW_SECONDS):
            try:
                cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.add(key, 1, WINDOW_SECONDS)
        return super().form_invalid(form)
