from django.urls import path

from zhufang.registry import quality_views, views

app_name = "registry"
urlpatterns = [
    path("", views.search, name="search"),
    path("houses/<int:pk>/", views.house, name="house"),
    path("import/", views.import_page, name="import"),
    path("conflicts/", views.conflicts, name="conflicts"),
    path("quality/", quality_views.quality, name="quality"),
    path("quality/stale/", quality_views.stale_list, name="quality_stale"),
    path("quality/group-rentals/", quality_views.group_rental_list, name="quality_group_rentals"),
]
