from django.urls import path

from zhufang.registry import quality_views, views
from zhufang.registry.dedup import views as dedup_views

app_name = "registry"
urlpatterns = [
    path("", views.search, name="search"),
    path("houses/<int:pk>/", views.house, name="house"),
    path("import/", views.import_page, name="import"),
    path("import/progress/<str:token>/", views.import_progress, name="import_progress"),
    path("import/runs/<int:pk>/errors.csv", views.import_errors_csv, name="import_errors"),
    path("conflicts/", views.conflicts, name="conflicts"),
    path("establishments/", views.establishments, name="establishments"),
    path("establishments/<int:pk>/", views.establishment, name="establishment"),
    path("export/", views.export_page, name="export"),
    path("duplicates/", dedup_views.duplicates, name="duplicates"),
    path("duplicates/detect/", dedup_views.detect, name="duplicates_detect"),
    path("duplicates/<int:pk>/", dedup_views.review, name="duplicate_review"),
    path("quality/", quality_views.quality, name="quality"),
    path("quality/stale/", quality_views.stale_list, name="quality_stale"),
    path("quality/group-rentals/", quality_views.group_rental_list, name="quality_group_rentals"),
]
