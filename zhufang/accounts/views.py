"""Account pages: users (system administrator), roles and grants (security administrator),
integration tokens, and the audited reveal of a user's phone."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from zhufang.accounts import services
from zhufang.accounts.exports import export_roster_csv, roster
from zhufang.accounts.models import ApiToken, DataScope, Role, User
from zhufang.accounts.permissions import PERMISSION_LABELS, Perm
from zhufang.accounts.scope import effective_scope, get_visible_or_none
from zhufang.org.models import OrgUnit
from zhufang.privacy.masking import mask_phone
from zhufang.privacy.reveal import reveal


def _actor(request: HttpRequest, perm: str) -> User:
    user = request.user
    assert isinstance(user, User)
    if not user.has_permission(perm):
        raise PermissionDenied
    return user


def _visible_user(actor: User, pk: int) -> User:
    user = get_visible_or_none(actor, User.objects.select_related("unit"), pk=pk)
    if user is None:
        raise Http404
    return user


def _errors_to_form(form: forms.Form, exc: ValidationError) -> None:
    errors_by_field = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    for field, errors in errors_by_field.items():
        for error in errors:
            form.add_error(field if field in form.fields else None, error)


def _styled(form: forms.Form) -> forms.Form:
    for field in form.fields.values():
        css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
        if not isinstance(field.widget, forms.CheckboxSelectMultiple | forms.CheckboxInput):
            field.widget.attrs.setdefault("class", css)
    return form


@login_required
def users(request: HttpRequest) -> HttpResponse:
    actor = _actor(request, Perm.USER_MANAGE)
    rows = User.objects.visible_to(actor).select_related("unit").prefetch_related("roles").order_by("police_number")
    q = request.GET.get("q", "").strip()
    if q:
        rows = rows.filter(name__contains=q) | rows.filter(police_number__startswith=q)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    for user in page:
        user.phone_masked = mask_phone(user.phone) if user.phone else ""  # type: ignore[attr-defined]
    return render(request, "accounts/users.html", {"page": page, "q": q, "personal_data": True})


class UserForm(forms.Form):
    police_number = forms.CharField(label=gettext_lazy("Police number"), max_length=20)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=50)
    unit = forms.ModelChoiceField(label=gettext_lazy("Unit"), queryset=OrgUnit.objects.none())
    title = forms.CharField(label=gettext_lazy("Post"), max_length=50, required=False)
    phone = forms.CharField(label=gettext_lazy("Phone"), max_length=20, required=False)

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = OrgUnit.objects.visible_to(actor).active().order_by("path")  # type: ignore[attr-defined]
        _styled(self)


@login_required
def user_new(request: HttpRequest) -> HttpResponse:
    actor = _actor(request, Perm.USER_MANAGE)
    form = UserForm(request.POST or None, actor=actor)
    if request.method == "POST" and form.is_valid():
        try:
            user, password = services.create_user(actor=actor, **form.cleaned_data)
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(
                request,
                _("Created %(user)s. Initial password (shown once): %(password)s")
                % {"user": user, "password": password},
            )
            return redirect("accounts:users")
    return render(request, "accounts/user_form.html", {"form": form, "title": _("New user")})


@login_required
def user_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request, Perm.USER_MANAGE)
    user = _visible_user(actor, pk)
    form = UserForm(
        request.POST or None,
        actor=actor,
        initial={
            "police_number": user.police_number,
            "name": user.name,
            "unit": user.unit_id,
            "title": user.title,
            "phone": mask_phone(user.phone) if user.phone else "",
        },
    )
    form.fields["police_number"].disabled = True
    form.fields["phone"].help_text = _("Shown masked; type a new number to replace it.")
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data.pop("police_number")
        if data["phone"] == (mask_phone(user.phone) if user.phone else ""):
            data.pop("phone")
        try:
            services.update_user(actor=actor, user=user, **data)
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, _("Saved %(user)s") % {"user": user})
            return redirect("accounts:users")
    return render(
        request,
        "accounts/user_form.html",
        {"form": form, "title": _("Edit %(user)s") % {"user": user}, "subject": user, "personal_data": True},
    )


@login_required
@require_POST
def user_reset_password(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request, Perm.USER_MANAGE)
    user = _visible_user(actor, pk)
    password = services.reset_password(actor=actor, user=user)
    messages.success(
        request,
        _("New initial password for %(user)s (shown once): %(password)s") % {"user": user, "password": password},
    )
    return redirect("accounts:users")


@login_required
@require_POST
def user_set_active(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request, Perm.USER_MANAGE)
    user = _visible_user(actor, pk)
    if user.pk == actor.pk:
        raise PermissionDenied
    services.update_user(actor=actor, user=user, is_active=request.POST.get("active") == "1")
    return redirect("accounts:users")


@login_required
def user_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    """Reveal a user's phone with a stated reason (audited)."""
    actor = request.user
    assert isinstance(actor, User)
    user = _visible_user(actor, pk)
    value, error = None, ""
    if request.method == "POST":
        try:
            value = reveal(actor=actor, obj=user, field="phone", reason=request.POST.get("reason", ""))
        except ValidationError as exc:
            error = "；".join(exc.messages)
    return render(
        request, "accounts/reveal.html", {"subject": user, "value": value, "error": error, "personal_data": True}
    )


# --- roles and grants ---------------------------------------------------------------------------


@login_required
def roles(request: HttpRequest) -> HttpResponse:
    _actor(request, Perm.ROLE_MANAGE)
    return render(
        request,
        "accounts/roles.html",
        {"roles": Role.objects.prefetch_related("custom_units"), "labels": PERMISSION_LABELS},
    )


class RoleForm(forms.Form):
    code = forms.SlugField(label=gettext_lazy("Code"), max_length=40)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=50)
    description = forms.CharField(label=gettext_lazy("Description"), max_length=200, required=False)
    permissions = forms.MultipleChoiceField(
        label=gettext_lazy("Permissions"),
        required=False,
        choices=[(k, v) for k, v in PERMISSION_LABELS.items()],
        widget=forms.CheckboxSelectMultiple,
    )
    data_scope = forms.ChoiceField(label=gettext_lazy("Data scope"), choices=DataScope.choices)
    custom_units = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Custom units"), queryset=OrgUnit.objects.none(), required=False
    )

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["custom_units"].queryset = (  # type: ignore[attr-defined]
            OrgUnit.objects.visible_to(actor).active().exclude(kind="grid").order_by("path")
        )
        _styled(self)


@login_required
def role_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    actor = _actor(request, Perm.ROLE_MANAGE)
    role = Role.objects.filter(pk=pk).first() if pk else None
    if pk and role is None:
        raise Http404
    initial = {}
    if role is not None:
        initial = {
            "code": role.code,
            "name": role.name,
            "description": role.description,
            "permissions": role.permissions,
            "data_scope": role.data_scope,
            "custom_units": list(role.custom_units.all()),
        }
    form = RoleForm(request.POST or None, actor=actor, initial=initial)
    if role is not None and role.is_builtin:
        form.fields["code"].disabled = True
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.save_role(
                actor=actor,
                role=role,
                code=data["code"],
                name=data["name"],
                description=data["description"],
                permissions=list(data["permissions"]),
                data_scope=data["data_scope"],
                custom_units=list(data["custom_units"]),
            )
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, _("Role saved"))
            return redirect("accounts:roles")
    return render(request, "accounts/role_form.html", {"form": form, "role": role})


@login_required
def user_roles(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request, Perm.ROLE_MANAGE)
    user = _visible_user(actor, pk)
    error = ""
    if request.method == "POST":
        role = Role.objects.filter(pk=request.POST.get("role") or 0).first()
        if role is None:
            raise Http404
        try:
            if request.POST.get("op") == "revoke":
                services.revoke_role(actor=actor, user=user, role=role, reason=request.POST.get("reason", ""))
            else:
                services.grant_role(actor=actor, user=user, role=role, reason=request.POST.get("reason", ""))
        except ValidationError as exc:
            error = "；".join(exc.messages)
        else:
            return redirect("accounts:user_roles", pk=user.pk)
    held = list(user.roles.all())
    return render(
        request,
        "accounts/user_roles.html",
        {
            "subject": user,
            "held": held,
            "available": Role.objects.exclude(pk__in=[r.pk for r in held]),
            "error": error,
            "scope": effective_scope(actor),
        },
    )


@login_required
def grantees(request: HttpRequest) -> HttpResponse:
    """Security administrator's list of users to grant roles to (no personal data shown)."""
    actor = _actor(request, Perm.ROLE_MANAGE)
    rows = User.objects.visible_to(actor).select_related("unit").prefetch_related("roles").order_by("police_number")
    q = request.GET.get("q", "").strip()
    if q:
        rows = rows.filter(name__contains=q) | rows.filter(police_number__startswith=q)
    return render(
        request, "accounts/grantees.html", {"page": Paginator(rows, 50).get_page(request.GET.get("page")), "q": q}
    )


# --- integration tokens ---------------------------------------------------------------------------


class TokenForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Integration name"), max_length=80)
    unit = forms.ModelChoiceField(label=gettext_lazy("Unit"), queryset=OrgUnit.objects.none())
    permissions = forms.MultipleChoiceField(
        label=gettext_lazy("Permissions"),
        widget=forms.CheckboxSelectMultiple,
        choices=[
            (k, v)
            for k, v in PERMISSION_LABELS.items()
            if k in {Perm.ORG_VIEW, Perm.PERSONAL_DATA_VIEW, Perm.DATA_EXPORT}
        ],
    )
    expires_at = forms.DateTimeField(
        label=gettext_lazy("Expires at"), required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = OrgUnit.objects.visible_to(actor).active().order_by("path")  # type: ignore[attr-defined]
        _styled(self)


@login_required
def tokens(request: HttpRequest) -> HttpResponse:
    actor = _actor(request, Perm.API_TOKEN_MANAGE)
    form = TokenForm(request.POST or None, actor=actor)
    if request.method == "POST" and request.POST.get("revoke"):
        token = ApiToken.objects.filter(pk=request.POST["revoke"]).select_related("unit").first()
        if token is None:
            raise Http404
        services.revoke_api_token(actor=actor, token=token)
        return redirect("accounts:tokens")
    if request.method == "POST" and form.is_valid():
        try:
            token, secret = services.create_api_token(actor=actor, **form.cleaned_data)
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(
                request,
                _("Token %(name)s created. Secret (shown once): %(secret)s") % {"name": token.name, "secret": secret},
            )
            return redirect("accounts:tokens")
    scope = effective_scope(actor)
    rows = [t for t in ApiToken.objects.select_related("unit") if scope.contains_unit(t.unit)]
    return render(request, "accounts/tokens.html", {"form": form, "tokens": rows})


# --- roster (officers in scope) and its audited export --------------------------------------------


@login_required
def roster_page(request: HttpRequest) -> HttpResponse:
    actor = _actor(request, Perm.ORG_VIEW)
    unit_id = int(request.GET["unit"]) if request.GET.get("unit", "").isdigit() else None
    q = request.GET.get("q", "").strip()
    users = roster(actor, unit_id=unit_id, q=q)
    error = ""
    if request.method == "POST":
        filters = {"unit": unit_id, "q": q}
        try:
            content = export_roster_csv(actor, users, reason=request.POST.get("reason", ""), filters=filters)
        except ValidationError as exc:
            error = "；".join(exc.messages)
        else:
            response = HttpResponse(content, content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = 'attachment; filename="roster.csv"'
            return response
    page = Paginator(users, 50).get_page(request.GET.get("page"))
    for user in page:
        user.phone_masked = mask_phone(user.phone) if user.phone else ""  # type: ignore[attr-defined]
    return render(
        request,
        "accounts/roster.html",
        {
            "page": page,
            "q": q,
            "unit": unit_id,
            "error": error,
            "personal_data": True,
            "can_export": actor.has_permission(Perm.DATA_EXPORT),
        },
    )
