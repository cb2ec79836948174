"""The People page of user managers, included at /people/ (contract §11)."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.people, name="people"),
    path("<str:username>/", views.person, name="person"),
]
