from django.urls import path

from assignments.lab import views

urlpatterns = [
    path("lab/replays/<int:pk>/", views.replay_page, name="lab-replay"),
    path("lab/replays/<int:pk>/status/", views.replay_status, name="lab-replay-status"),
    path("lab/experiments/<int:pk>/", views.experiment_page, name="lab-experiment"),
]
