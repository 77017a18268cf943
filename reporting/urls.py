"""Report pages, included under /reports/."""

from django.urls import path

from reporting import views

app_name = "reporting"
urlpatterns = [
    path("", views.report_index, name="index"),
    path("<slug:slug>/", views.report_page, name="report"),
]
