"""Log in and out, change password, home page."""

from __future__ import annotations

from django import forms
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from zhufang.accounts.login import attempt_login, do_logout
from zhufang.accounts.models import User
from zhufang.accounts.permissions import Perm
from zhufang.accounts.scope import effective_scope
from zhufang.accounts.services import change_own_password
from zhufang.org.models import OrgUnit
from zhufang.org.queries import subtree_counts


def login_view(request: HttpRequest) -> HttpResponse:
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = ""
    context = {"next": next_url, "police_number": "", "error": ""}
    if request.method == "POST":
        police_number = request.POST.get("police_number", "")
        result = attempt_login(request, police_number, request.POST.get("password", ""))
        if result.user is not None:
            if result.user.must_change_password:
                return redirect("web:password_change")
            return redirect(next_url or "web:home")
        context.update(police_number=police_number, error=result.error)
    return render(request, "web/login.html", context, status=200 if not context["error"] else 401)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    do_logout(request)
    return redirect("web:login")


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(
        label=_("Current password"), widget=forms.PasswordInput(attrs={"class": "form-control"})
    )
    new_password = forms.CharField(
        label=_("New password"),
        widget=forms.PasswordInput(attrs={"class": "form-control"}),
        help_text=_(
            "At least 10 characters; at least three of: upper-case letters, lower-case letters, digits, symbols."
        ),
    )
    new_password2 = forms.CharField(
        label=_("New password again"), widget=forms.PasswordInput(attrs={"class": "form-control"})
    )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("new_password") != data.get("new_password2"):
            raise ValidationError({"new_password2": _("The two new passwords differ")})
        return data


@login_required
def password_change_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            change_own_password(
                user=user,
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["new_password"],
            )
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                for message in messages:
                    form.add_error(field if field in form.fields else None, message)
        else:
            update_session_auth_hash(request, user)
            return redirect("web:home")
    return render(request, "web/password_change.html", {"form": form})


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    scope = effective_scope(user)
    context: dict[str, object] = {"scope": scope, "roles": list(user.roles.all())}
    if user.has_permission(Perm.ORG_VIEW):
        root = OrgUnit.objects.visible_to(user).active().filter(depth=0).first() if scope.sees_all else user.unit
        if root is not None:
            context["root"] = root
            context["counts"] = subtree_counts(user, root)
    return render(request, "web/home.html", context)
