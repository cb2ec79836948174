from django.http import JsonResponse
from django.urls import path

app_name = "api"


def app_view(request, app_id):  # replaced by the records issue
    return JsonResponse({"id": app_id})


urlpatterns = [path("<str:app_id>", app_view, name="app")]
