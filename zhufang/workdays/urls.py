from django.urls import path

from zhufang.workdays import views

app_name = "workdays"
urlpatterns = [
    path("", views.calendar_page, name="calendar"),
    path("years/new/", views.year_entry, name="year_entry"),
]
