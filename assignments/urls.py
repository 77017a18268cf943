from django.urls import include, path

from assignments import views

urlpatterns = [
    path("rep/", views.rep_page, name="rep"),
    path("rep/leads/<int:lead_id>/", views.rep_lead_page, name="rep-lead"),
    path("live/", views.live_page, name="live"),
    path("", include("assignments.lab.urls")),
]
