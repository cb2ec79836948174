from django.urls import path

from . import views

app_name = "blocks"

urlpatterns = [
    path("apps/<str:app_id>/blocks/<str:block_id>/", views.block_view, name="block"),
    path(
        "apps/<str:app_id>/blocks/<str:block_id>/<str:element_id>/",
        views.element_view,
        name="element",
    ),
]
