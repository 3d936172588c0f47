"""Password complexity (密码复杂度) beyond Django's length and common-password checks."""

from __future__ import annotations

import string
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class CharacterClassValidator:
    """At least three of: upper-case letters, lower-case letters, digits, symbols."""

    min_classes = 3

    def validate(self, password: str, user: Any = None) -> None:
        classes = [
            any(c.isupper() for c in password),
            any(c.islower() for c in password),
            any(c.isdigit() for c in password),
            any(c in string.punctuation for c in password),
        ]
        if sum(classes) < self.min_classes:
            raise ValidationError(
                _(
                    "The password must contain at least three of: upper-case letters, lower-case letters, "
                    "digits, symbols."
                ),
                code="password_too_simple",
            )

    def get_help_text(self) -> str:
        return _("At least three of: upper-case letters, lower-case letters, digits, symbols.")
