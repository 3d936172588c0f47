"""Registry pages: search (people by name or full ID, houses by address), the house page where an
officer marks the use and registers a newly arrived resident, the import page (dry run first), the
establishments list and page (masked legal representative and contact), and the audited export."""

from __future__ import annotations

import io
import tempfile

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from zhufang.accounts.models import User
from zhufang.accounts.permissions import Perm
from zhufang.accounts.scope import get_visible_or_none
from zhufang.org.models import OrgKind, OrgUnit
from zhufang.privacy.exporting import table_format, write_table
from zhufang.privacy.masking import mask_id_number
from zhufang.registry import services
from zhufang.registry.api import person_out
from zhufang.registry.conflicts import jurisdiction_conflicts
from zhufang.registry.exports import ExportRequest, export_registry
from zhufang.registry.imports import background
from zhufang.registry.imports.errors import RowError
from zhufang.registry.imports.runner import ImportRefused, ImportReport
from zhufang.registry.imports.uploads import IMPORTERS, import_upload
from zhufang.registry.masked import establishment_out
from zhufang.registry.models import Establishment, House, HouseUse, IdType, ImportRun, PersonCategory
from zhufang.registry.queries import looks_like_document_number, search_establishments, search_houses, search_people


def _user(request: HttpRequest, perm: str = Perm.ORG_VIEW) -> User:
    user = request.user
    assert isinstance(user, User)
    if not user.has_permission(perm):
        raise PermissionDenied
    return user


@login_required
def search(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    # POST, so a document number typed into the search never lands in URLs, history or access logs
    q = (request.POST.get("q") or request.GET.get("q", "")).strip()
    people = [person_out(user, p) for p in search_people(user, q)[:50]] if q else []
    houses = list(search_houses(user, q)[:50]) if q else []
    shown = mask_id_number(q) if looks_like_document_number(q) else q
    return render(
        request,
        "registry/search.html",
        {"q": shown, "searched": bool(q), "people": people, "houses": houses, "personal_data": True},
    )


class RegisterForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=50)
    id_type = forms.ChoiceField(label=_("Document type"), choices=IdType.choices)
    id_number = forms.CharField(label=_("Document number"), max_length=30)
    category = forms.ChoiceField(label=_("Category"), choices=PersonCategory.choices)
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css)


@login_required
def house(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    found = get_visible_or_none(user, House.objects.select_related("address", "owner_unit"), pk=pk)
    if found is None:
        raise Http404
    form = RegisterForm(request.POST or None) if request.POST.get("op") == "register" else RegisterForm()
    if request.method == "POST":
        try:
            if request.POST.get("op") == "use":
                services.set_house_use(actor=user, house=found, use=request.POST.get("use", ""))
                messages.success(request, _("House use saved"))
                return redirect("registry:house", pk=pk)
            if form.is_valid():
                person = services.register_person(actor=user, house=found, **form.cleaned_data)
                messages.success(request, _("Registered %(name)s") % {"name": person.name})
                return redirect("registry:house", pk=pk)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
    residents = [person_out(user, p) for p in found.residents.filter(is_active=True).select_related("house__address")]
    return render(
        request,
        "registry/house.html",
        {
            "house": found,
            "residents": residents,
            "form": form,
            "uses": HouseUse.choices,
            "can_edit": user.has_permission(Perm.REGISTRY_EDIT),
            "personal_data": True,
        },
    )


@login_required
def import_page(request: HttpRequest) -> HttpResponse:
    user = _user(request, Perm.REGISTRY_IMPORT)
    report, refused = None, []
    kind = request.POST.get("kind", "people")
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None or kind not in IMPORTERS:
            refused = [str(_("Choose a file and what it holds"))]
        else:
            dry_run = request.POST.get("apply") != "1"
            ignore_unknown = request.POST.get("ignore_unknown") == "1"
            if (upload.size or 0) > background.inline_limit():  # a large file: a job, and a progress page
                token = background.start_import(
                    kind, upload, actor=user, dry_run=dry_run, ignore_unknown=ignore_unknown
                )
                return redirect("registry:import_progress", token=token)
            try:
                report = import_upload(kind, upload, actor=user, dry_run=dry_run, ignore_unknown=ignore_unknown)
            except ImportRefused as exc:
                refused = exc.messages
    return render(request, "registry/import.html", {"report": report, "refused": refused, "kind": kind})


@login_required
def import_progress(request: HttpRequest, token: str) -> HttpResponse:
    """导入进度: rows done so far, then the report; the page polls itself (HTMX) until the job ends."""
    user = _user(request, Perm.REGISTRY_IMPORT)
    state = background.progress(user, token)
    if state is None:
        raise Http404
    report = None
    if state.finished and state.run is not None:
        report = ImportReport(run=state.run, errors=[RowError(**e) for e in state.run.errors])
    template = (
        "registry/_import_progress.html" if request.headers.get("HX-Request") else "registry/import_progress.html"
    )
    return render(request, template, {"state": state, "report": report})


@login_required
def import_errors_csv(request: HttpRequest, pk: int) -> HttpResponse:
    """The row-level error report of an import as CSV (values already masked), in scope."""
    user = _user(request, Perm.REGISTRY_IMPORT)
    run = get_visible_or_none(user, ImportRun.objects.all(), pk=pk)
    if run is None:
        raise Http404
    out = io.BytesIO()
    rows = ([e.get("row"), e.get("field"), e.get("value"), e.get("message")] for e in run.errors)
    write_table(out, ["行号", "列", "值", "问题"], rows, table_format("csv"))
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{run.pk}-errors.csv"'
    return response


@login_required
def conflicts(request: HttpRequest) -> HttpResponse:
    """管辖冲突: where the old data's responsible station differs from the station the point lies in."""
    user = _user(request)
    groups = jurisdiction_conflicts(user)
    return render(request, "registry/conflicts.html", {"groups": groups, "total": sum(g.addresses for g in groups)})


@login_required
def establishments(request: HttpRequest) -> HttpResponse:
    """实有单位: establishments in scope by name or address (key venues only on request)."""
    user = _user(request)
    q = request.GET.get("q", "").strip()
    key_only = request.GET.get("key") == "1"
    page = Paginator(search_establishments(user, q, key_only=key_only), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "registry/establishments.html",
        {
            "page": page,
            "rows": [establishment_out(user, u) for u in page],
            "q": q,
            "key_only": key_only,
            "can_export": user.has_permission(Perm.DATA_EXPORT),
            "personal_data": True,
        },
    )


@login_required
def establishment(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    found = get_visible_or_none(user, Establishment.objects.select_related("address", "owner_unit"), pk=pk)
    if found is None:
        raise Http404
    house = House.objects.visible_to(user).filter(address_id=found.address_id).first() if found.address_id else None
    return render(
        request,
        "registry/establishment.html",
        {"unit": establishment_out(user, found), "grid": found.owner_unit, "house": house, "personal_data": True},
    )


class ExportForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What to export"),
        choices=[("people", _("People")), ("houses", _("Houses")), ("establishments", _("Establishments"))],
    )
    q = forms.CharField(label=_("Search (optional)"), max_length=100, required=False)
    unit = forms.TypedChoiceField(label=_("Unit (optional)"), coerce=int, required=False, empty_value=None)
    key_only = forms.BooleanField(label=_("Key venues only (establishments)"), required=False)
    format = forms.ChoiceField(
        label=_("Format"),
        choices=[("csv", _("CSV (UTF-8)")), ("csv_gbk", _("CSV (GBK)")), ("xlsx", _("Excel (.xlsx)"))],
    )
    unmasked = forms.BooleanField(label=_("Identifiers in plaintext (audited)"), required=False)
    reason = forms.CharField(label=_("Reason for exporting"), max_length=200)

    def __init__(self, user: User, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        units = OrgUnit.objects.visible_to(user).filter(kind__in=[OrgKind.STATION, OrgKind.DISTRICT]).order_by("path")
        unit_field = self.fields["unit"]
        assert isinstance(unit_field, forms.TypedChoiceField)
        unit_field.choices = [("", _("Whole data scope")), *((u.pk, u.name) for u in units)]
        if not user.has_permission(Perm.PERSONAL_DATA_REVEAL):
            del self.fields["unmasked"]
        for field in self.fields.values():
            if isinstance(field.widget, forms.CheckboxInput):
                field.widget.attrs.setdefault("class", "form-check-input")
            else:
                field.widget.attrs.setdefault(
                    "class", "form-select" if isinstance(field.widget, forms.Select) else "form-control"
                )


@login_required
def export_page(request: HttpRequest) -> HttpResponse | FileResponse:
    """登记数据导出: people, houses or establishments of the scope or a search, masked by default,
    with a reason, audited. The form posts, so a document number searched never lands in a URL."""
    user = _user(request, Perm.DATA_EXPORT)
    form = ExportForm(user, request.POST if request.POST.get("reason") is not None else None, initial=request.POST)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        handle = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
        try:
            result = export_registry(
                user,
                ExportRequest(
                    kind=data["kind"],
                    reason=data["reason"],
                    q=data["q"],
                    unit_id=data["unit"],
                    key_only=data["key_only"],
                    format=data["format"],
                    unmasked=data.get("unmasked", False),
                ),
                handle,
            )
        except ValidationError as exc:
            handle.close()
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        except BaseException:
            handle.close()
            raise
        else:
            handle.seek(0)
            return FileResponse(handle, as_attachment=True, filename=result.file_name, content_type=result.content_type)
    return render(request, "registry/export.html", {"form": form})
