from django.urls import path

from zhufang.accounts import views

app_name = "accounts"
urlpatterns = [
    path("users/", views.users, name="users"),
    path("users/new/", views.user_new, name="user_new"),
    path("users/<int:pk>/edit/", views.user_edit, name="user_edit"),
    path("users/<int:pk>/reset-password/", views.user_reset_password, name="user_reset_password"),
    path("users/<int:pk>/active/", views.user_set_active, name="user_set_active"),
    path("users/<int:pk>/reveal/", views.user_reveal, name="user_reveal"),
    path("users/<int:pk>/roles/", views.user_roles, name="user_roles"),
    path("roles/", views.roles, name="roles"),
    path("roles/new/", views.role_edit, name="role_new"),
    path("roles/<int:pk>/", views.role_edit, name="role_edit"),
    path("grants/", views.grantees, name="grantees"),
    path("tokens/", views.tokens, name="tokens"),
    path("roster/", views.roster_page, name="roster"),
]
