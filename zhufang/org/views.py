"""Organisation pages: the tree with its map, unit drill-down, locate, and the administrator's
unit editing, station mergers and polygon import."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhufang.accounts.models import User
from zhufang.accounts.permissions import Perm
from zhufang.accounts.scope import get_visible_or_none
from zhufang.org import services
from zhufang.org.geometry.coords import gcj02_to_wgs84_arrays
from zhufang.org.geometry_import import import_geojson
from zhufang.org.locating import locate_point
from zhufang.org.models import OrgKind, OrgUnit, StationMerger
from zhufang.org.queries import subtree_counts, visible_location

CHILD_KIND = {OrgKind.BUREAU: OrgKind.STATION, OrgKind.STATION: OrgKind.DISTRICT, OrgKind.DISTRICT: OrgKind.GRID}


def _principal(request: HttpRequest, perm: str) -> User:
    user = request.user
    assert isinstance(user, User)
    if not user.has_permission(perm):
        raise PermissionDenied
    return user


def _visible_unit(user: User, pk: Any) -> OrgUnit:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    unit = get_visible_or_none(user, OrgUnit.objects.select_related("parent"), pk=pk)
    if unit is None:
        raise Http404
    return unit


def _default_root(user: User) -> OrgUnit | None:
    units = OrgUnit.objects.visible_to(user).active()
    return units.filter(kind=OrgKind.BUREAU).first() or units.filter(pk=user.unit_id).first()


@login_required
def tree(request: HttpRequest) -> HttpResponse:
    user = _principal(request, Perm.ORG_VIEW)
    current = _visible_unit(user, request.GET["unit"]) if request.GET.get("unit") else _default_root(user)
    if current is None:
        raise Http404
    visible = OrgUnit.objects.visible_to(user).active()
    root = visible.filter(depth=0).first() or current
    stations = list(visible.filter(kind=OrgKind.STATION).order_by("code"))
    districts = list(visible.filter(kind=OrgKind.DISTRICT).order_by("code"))
    by_station: dict[int | None, list[OrgUnit]] = {}
    for district in districts:
        by_station.setdefault(district.parent_id, []).append(district)
    grid_counts = _grid_counts(user)
    outside_kinds = [OrgKind.TOWNSHIP, OrgKind.DEPARTMENT, OrgKind.CENTRE]
    outside = list(visible.filter(kind__in=outside_kinds).order_by("kind", "code"))
    children = list(visible.filter(parent=current).order_by("code"))
    context = {
        "root": root,
        "current": current,
        "stations": [(s, by_station.get(s.pk, [])) for s in stations],
        "grid_counts": grid_counts,
        "outside": outside,
        "children": children,
        "counts": subtree_counts(user, current),
        "ancestors": OrgUnit.objects.filter(pk__in=current.ancestor_ids()[:-1]).order_by("depth"),
        "child_kind": CHILD_KIND.get(OrgKind(current.kind), current.kind),
        "map_kind": CHILD_KIND.get(OrgKind(current.kind), current.kind),
        "map_within": current.pk,
    }
    return render(request, "org/tree.html", context)


def _grid_counts(user: User) -> dict[int, int]:
    rows = (
        OrgUnit.objects.visible_to(user)
        .active()
        .filter(kind=OrgKind.GRID)
        .values("parent")
        .annotate(n=Count("id"))
        .values_list("parent", "n")
    )
    return {int(parent): int(n) for parent, n in rows if parent is not None}


@login_required
def grids_of(request: HttpRequest, pk: int) -> HttpResponse:
    """HTMX partial: the grids of one district, loaded when the district is expanded."""
    user = _principal(request, Perm.ORG_VIEW)
    district = _visible_unit(user, pk)
    grids = OrgUnit.objects.visible_to(user).active().filter(parent=district).order_by("code")
    return render(request, "org/_grids.html", {"grids": grids})


@login_required
def locate(request: HttpRequest) -> HttpResponse:
    user = _principal(request, Perm.ORG_VIEW)
    result, error = None, ""
    lon, lat = request.GET.get("lon", ""), request.GET.get("lat", "")
    if lon and lat:
        try:
            lon_f, lat_f = float(lon), float(lat)
            if not (-180 <= lon_f <= 180 and -90 <= lat_f <= 90):
                raise ValueError
        except ValueError:
            error = _("Longitude and latitude must be numbers (longitude −180…180, latitude −90…90)")
        else:
            if request.GET.get("crs") == "gcj02":
                lons, lats = gcj02_to_wgs84_arrays(np.array([lon_f]), np.array([lat_f]))
                lon_f, lat_f = float(lons[0]), float(lats[0])
            located = locate_point(lon_f, lat_f)
            result = visible_location(user, located)
            result["point"] = (round(lon_f, 6), round(lat_f, 6))  # type: ignore[assignment]
            result["outside"] = located.grid is None  # type: ignore[assignment]
    return render(
        request,
        "org/locate.html",
        {
            "result": result,
            "error": error,
            "lon": lon,
            "lat": lat,
            "crs": request.GET.get("crs", "wgs84"),
            "map_kind": OrgKind.STATION,
        },
    )


# --- administrator pages -------------------------------------------------------------------------


class UnitForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=OrgKind.choices)
    code = forms.CharField(label=gettext_lazy("Code"), max_length=32)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    parent = forms.ModelChoiceField(label=gettext_lazy("Parent unit"), queryset=OrgUnit.objects.none(), required=False)
    head_name = forms.CharField(label=gettext_lazy("Head"), max_length=50, required=False)
    phone = forms.CharField(label=gettext_lazy("Phone"), max_length=30, required=False)
    polygon = forms.CharField(
        label=gettext_lazy("Polygon (GeoJSON geometry)"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = OrgUnit.objects.visible_to(user).active().exclude(kind=OrgKind.GRID)  # type: ignore[attr-defined]
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-control")


def _apply_errors(form: forms.Form, exc: ValidationError) -> None:
    by_field = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    for field, errors in by_field.items():
        for error in errors:
            form.add_error(field if field in form.fields else None, error)


@login_required
def unit_new(request: HttpRequest) -> HttpResponse:
    user = _principal(request, Perm.ORG_MANAGE)
    form = UnitForm(request.POST or None, user=user, initial={"parent": request.GET.get("parent")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            unit = services.create_unit(
                actor=user,
                kind=data["kind"],
                code=data["code"],
                name=data["name"],
                parent=data["parent"],
                polygon=data["polygon"] or None,
                head_name=data["head_name"],
                phone=data["phone"],
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Created %(unit)s") % {"unit": unit})
            return redirect(f"/org/?unit={unit.pk}")
    return render(request, "org/unit_form.html", {"form": form, "title": _("New unit")})


@login_required
def unit_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _principal(request, Perm.ORG_MANAGE)
    unit = _visible_unit(user, pk)
    initial = {
        "kind": unit.kind,
        "code": unit.code,
        "name": unit.name,
        "parent": unit.parent_id,
        "head_name": unit.head_name,
        "phone": unit.phone,
        "polygon": json.dumps(unit.polygon, ensure_ascii=False) if unit.polygon else "",
    }
    form = UnitForm(request.POST or None, user=user, initial=initial)
    form.fields["kind"].disabled = True
    form.fields["parent"].disabled = True
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            polygon = data["polygon"] if data["polygon"] and data["polygon"] != initial["polygon"] else None
            services.update_unit(
                actor=user,
                unit=unit,
                polygon=polygon,
                code=data["code"],
                name=data["name"],
                head_name=data["head_name"],
                phone=data["phone"],
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Saved %(unit)s") % {"unit": unit})
            return redirect(f"/org/?unit={unit.pk}")
    return render(request, "org/unit_form.html", {"form": form, "title": _("Edit %(unit)s") % {"unit": unit}})


class MergerForm(forms.Form):
    target = forms.ModelChoiceField(label=gettext_lazy("Merge into station"), queryset=OrgUnit.objects.none())
    sources = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Stations to merge"),
        queryset=OrgUnit.objects.none(),
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    effective_date = forms.DateField(
        label=gettext_lazy("Effective date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(label=gettext_lazy("Note"), max_length=200, required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        stations = OrgUnit.objects.visible_to(user).active().filter(kind=OrgKind.STATION).order_by("code")
        self.fields["target"].queryset = stations  # type: ignore[attr-defined]
        self.fields["sources"].queryset = stations  # type: ignore[attr-defined]
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-control")


@login_required
def mergers(request: HttpRequest) -> HttpResponse:
    user = _principal(request, Perm.ORG_MANAGE)
    form = MergerForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            merger = services.plan_station_merger(
                actor=user,
                target=data["target"],
                sources=list(data["sources"]),
                effective_date=data["effective_date"],
                note=data["note"],
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Merger recorded: %(status)s") % {"status": merger.get_status_display()})
            return redirect("org:mergers")
    history = StationMerger.objects.visible_to(user).select_related("target").prefetch_related("sources")[:50]
    return render(request, "org/mergers.html", {"form": form, "history": history})


@login_required
def import_polygons(request: HttpRequest) -> HttpResponse:
    user = _principal(request, Perm.ORG_MANAGE)
    report = None
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, _("Choose a GeoJSON file"))
        else:
            raw = upload.read()
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                messages.error(request, _("%(file)s is not UTF-8 text") % {"file": upload.name})
            else:
                report = import_geojson(
                    actor=user,
                    text=text,
                    source_name=upload.name or "upload.geojson",
                    dry_run=request.POST.get("apply") != "1",
                )
    return render(request, "org/import.html", {"report": report})
