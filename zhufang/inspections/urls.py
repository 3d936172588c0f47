from django.urls import path

from zhufang.inspections import views

app_name = "inspections"
urlpatterns = [
    path("", views.mine, name="mine"),
    path("station/", views.station, name="station"),
    path("rules/", views.rules, name="rules"),
    path("photos/<int:pk>/", views.photo, name="photo"),
    path("<str:kind>/<int:pk>/", views.target, name="target"),
]
