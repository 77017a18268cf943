from django.urls import include, path

from assignments import views

urlpatterns = [
    path("rep/", views.rep_page, name="rep"),
    path("live/", views.live_page, name="live"),
    path("", include("assignments.lab.urls")),
]
