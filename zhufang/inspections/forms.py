"""Forms of the inspection pages: recording an inspection on a phone, and a cadence rule."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhufang.inspections.models import InspectionResult, Selector, TargetKind
from zhufang.inspections.periods import Period


class _Styled(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field.widget, forms.HiddenInput):
                continue
            if isinstance(field.widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(field.widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            field.widget.attrs.setdefault("class", css)


class InspectionForm(_Styled):
    """One inspection. ``idempotency_key`` is minted when the form is shown, so a double tap or a
    resubmission after a dropped connection records once."""

    inspected_on = forms.DateField(
        label=_("Inspection date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    result = forms.ChoiceField(label=_("Result"), choices=InspectionResult.choices)
    hazards = forms.CharField(
        label=_("Hazards found"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One hazard per line, e.g. blocked fire exit, e-bike charged indoors, tenant not registered"),
    )
    findings = forms.CharField(label=_("Findings"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    photo = forms.FileField(
        label=_("Photo"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp", "capture": "environment"}),
        help_text=_("JPEG, PNG or WebP, at most 10 MB"),
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=80)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["inspected_on"].initial = timezone.localdate()
        self.fields["idempotency_key"].initial = uuid.uuid4().hex


class RuleForm(_Styled):
    target_kind = forms.ChoiceField(label=_("Object"), choices=TargetKind.choices)
    selector = forms.ChoiceField(label=_("Matched on"), choices=Selector.choices)
    value = forms.CharField(
        label=_("Value"),
        max_length=30,
        help_text=_("A house use code (rental, self_occupied …) or a trade, category or industry as registered"),
    )
    period = forms.ChoiceField(label=_("Cadence"), choices=Period.choices)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)
