from django.urls import path

from zhufang.instructions import views

app_name = "instructions"
urlpatterns = [
    path("", views.centre, name="centre"),
    path("batches/<int:pk>/", views.batch, name="batch"),
    path("station/", views.station, name="station"),
    path("mine/", views.mine, name="mine"),
    path("items/<int:pk>/", views.item, name="item"),
    path("late/", views.late, name="late"),
    path("worklog/", views.worklog, name="worklog"),
]
