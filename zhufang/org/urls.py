from django.urls import path

from zhufang.org import views

app_name = "org"
urlpatterns = [
    path("", views.tree, name="tree"),
    path("units/<int:pk>/grids/", views.grids_of, name="grids_of"),
    path("units/new/", views.unit_new, name="unit_new"),
    path("units/<int:pk>/edit/", views.unit_edit, name="unit_edit"),
    path("locate/", views.locate, name="locate"),
    path("mergers/", views.mergers, name="mergers"),
    path("import/", views.import_polygons, name="import"),
]
