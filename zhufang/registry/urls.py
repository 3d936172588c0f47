from django.urls import path

from zhufang.registry import views

app_name = "registry"
urlpatterns = [
    path("", views.search, name="search"),
    path("houses/<int:pk>/", views.house, name="house"),
    path("import/", views.import_page, name="import"),
    path("conflicts/", views.conflicts, name="conflicts"),
]
