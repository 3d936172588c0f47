from django.urls import path

from zhufang.instructions import leave_views, target_views, views

app_name = "instructions"
urlpatterns = [
    path("", views.centre, name="centre"),
    path("batches/<int:pk>/", views.batch, name="batch"),
    path("station/", views.station, name="station"),
    path("mine/", views.mine, name="mine"),
    path("items/<int:pk>/", views.item, name="item"),
    path("items/<int:pk>/photos/<int:photo_id>/", views.photo, name="photo"),
    path("late/", views.late, name="late"),
    path("worklog/", views.worklog, name="worklog"),
    path("batches/<int:pk>/targets/", target_views.batch_targets, name="batch_targets"),
    path("batches/<int:pk>/import/", target_views.batch_import, name="batch_import"),
    path("leave/", leave_views.leave_page, name="leave"),
]
