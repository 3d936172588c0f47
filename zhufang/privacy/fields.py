"""Model fields for sensitive personal data (敏感个人信息).

``EncryptedTextField`` stores an AES-GCM token (see ``crypto``) and gives back plaintext.
Each save uses a fresh random nonce, so the column cannot be searched: lookups other than
``isnull`` are refused.  To search, the model also keeps a ``BlindIndexField`` filled by its
service with ``blind_index()``, e.g.::

    id_number = EncryptedTextField(context="person.id_number")
    id_number_index = BlindIndexField()
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core import checks
from django.core.exceptions import FieldError
from django.db import models
from django.db.models.lookups import IsNull

from zhufang.privacy.crypto import decrypt, encrypt


class EncryptedLookupError(FieldError):
    """A query tried to compare ciphertexts of an ``EncryptedTextField``."""


class EncryptedTextField(models.TextField):  # type: ignore[type-arg]
    """Text encrypted at rest (加密存储) under ``context``, e.g. ``"person.id_number"``.

    The context is bound into the ciphertext: keep it stable for the life of the column, and
    unique per column, so that a token copied into another column fails to decrypt.
    """

    description = "Text encrypted with AES-256-GCM"
    db_index: bool  # set by Field.__init__, missing from django-stubs

    def __init__(self, *args: Any, context: str, **kwargs: Any) -> None:
        if not isinstance(context, str) or not context:
            raise TypeError("EncryptedTextField needs a non-empty context, e.g. context='person.id_number'")
        self.context = context
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["context"] = self.context
        return name, path, args, kwargs

    def check(self, **kwargs: Any) -> list[checks.CheckMessage]:
        errors = super().check(**kwargs)
        if self.unique or self.primary_key or self.db_index:
            errors.append(
                checks.Error(
                    "EncryptedTextField cannot be unique, a primary key or indexed: "
                    "its ciphertexts differ on every save. Index a BlindIndexField instead.",
                    obj=self,
                    id="privacy.E001",
                )
            )
        return errors

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None:
            return None
        return encrypt(value, context=self.context)

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return decrypt(value, context=self.context)

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name == "isnull":
            return IsNull
        raise EncryptedLookupError(
            f"'{lookup_name}' lookups on encrypted field {self.context!r} are not possible: "
            "its values are encrypted with a random nonce. Look up the blind index column instead "
            "(only 'isnull' is supported)."
        )

    def get_transform(self, lookup_name: str) -> Any:
        return None


class BlindIndexField(models.CharField):  # type: ignore[type-arg]
    """Blind index (盲索引) of an encrypted value: ``blind_index(value, kind=...)``, 32 hex chars.

    The owning model's service computes it whenever the encrypted value changes; exact lookups
    on it find rows by 身份证号 / 手机号 without decrypting.
    """

    description = "Keyed hash of an encrypted value, for exact-match search"
    db_index: bool  # set by Field.__init__, missing from django-stubs

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 32)
        kwargs.setdefault("db_index", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        if kwargs.get("max_length") == 32:
            del kwargs["max_length"]
        if self.db_index:
            kwargs.pop("db_index", None)
        else:
            kwargs["db_index"] = False
        return name, path, args, kwargs


def encrypted_field_registry() -> list[tuple[type[models.Model], EncryptedTextField]]:
    """Every (model, field) using ``EncryptedTextField`` in the installed apps (for key rotation).

    Only fields declared on a model's own table are listed (no proxies, no inherited fields),
    so every column appears once.
    """
    pairs: list[tuple[type[models.Model], EncryptedTextField]] = []
    for model in apps.get_models():
        if model._meta.proxy:
            continue
        for field in model._meta.local_concrete_fields:
            if isinstance(field, EncryptedTextField):
                pairs.append((model, field))
    return pairs
