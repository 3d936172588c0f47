"""URL configuration: pages per app, the API under /api/v1, language switching."""

from django.urls import include, path

from zhufang.api import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("org/", include("zhufang.org.urls")),
    path("accounts/", include("zhufang.accounts.urls")),
    path("audit/", include("zhufang.audit.urls")),
    path("registry/", include("zhufang.registry.urls")),
    path("workdays/", include("zhufang.workdays.urls")),
    path("inspections/", include("zhufang.inspections.urls")),
    path("instructions/", include("zhufang.instructions.urls")),
    path("notifications/", include("zhufang.notifications.urls")),
    path("", include("zhufang.web.urls")),
]
