from django.urls import path

from zhufang.notifications import views

app_name = "notifications"
urlpatterns = [path("", views.inbox_page, name="inbox")]
