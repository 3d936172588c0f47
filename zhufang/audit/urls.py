from django.urls import path

from zhufang.audit import views

app_name = "audit"
urlpatterns = [
    path("", views.entries, name="entries"),
    path("verify/", views.verify, name="verify"),
]
