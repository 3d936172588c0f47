"""Data-key rotation (密钥轮换): re-encrypt every encrypted column under the active key.

``rotate_data_key()`` adds a new data key, makes it active, then walks every
``EncryptedTextField`` in chunks by primary key, one transaction per chunk.  Only rows whose
token carries another key id are touched, so an interrupted run is resumed by running again
with ``new_key_id=<the active key id>`` (no further key is added).  Old keys stay in the key
file: remove one by hand only after a completed run, and after restarting every process that
may still have written with it.
"""

from __future__ import annotations

from django.db import models, router, transaction
from django.db.models import Case, ExpressionWrapper, F, Value, When

from zhufang.privacy.crypto import SEPARATOR, DecryptionError, decrypt, encrypt
from zhufang.privacy.fields import EncryptedTextField, encrypted_field_registry
from zhufang.privacy.keyring import add_data_key, get_keyring, reset_keyring_cache


def rotate_data_key(*, batch_size: int = 1000, new_key_id: str | None = None) -> dict[str, int]:
    """Rotate to a new data key (or resume to ``new_key_id``); rows re-encrypted per model label."""
    if new_key_id is None:
        add_data_key()
        reset_keyring_cache()
    active = get_keyring().active_data_key_id
    if new_key_id is not None and new_key_id != active:
        raise ValueError(f"can only resume rotation to the active data key {active!r}, not {new_key_id!r}")
    counts: dict[str, int] = {}
    for model, field in encrypted_field_registry():
        done = rotate_model_field(model, field.name, active, batch_size)
        counts[model._meta.label] = counts.get(model._meta.label, 0) + done
    return counts


def rotate_model_field(model: type[models.Model], field_name: str, active_key_id: str, batch_size: int = 1000) -> int:
    """Re-encrypt one column's tokens not made with ``active_key_id``; return rows changed.

    Raw tokens are read through a plain ``TextField`` expression (no decryption on load) and
    written back with one ``UPDATE … CASE`` per chunk, so ``get_prep_value`` never
    encrypts a token twice.  Chunk rows are locked (``SELECT … FOR UPDATE``) while rewritten.
    """
    field = model._meta.get_field(field_name)
    if not isinstance(field, EncryptedTextField):
        raise TypeError(f"{model._meta.label}.{field_name} is not an EncryptedTextField")
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    db = router.db_for_write(model)
    manager = model._base_manager.db_manager(db)
    pending = (
        manager.annotate(_raw_token=ExpressionWrapper(F(field.attname), output_field=models.TextField()))
        .filter(_raw_token__isnull=False)
        .exclude(_raw_token="")
        .exclude(_raw_token__startswith=f"{active_key_id}{SEPARATOR}")
        .order_by("pk")
    )
    changed = 0
    last_pk = None
    while True:
        with transaction.atomic(using=db):
            chunk = pending if last_pk is None else pending.filter(pk__gt=last_pk)
            rows = list(chunk.select_for_update().values_list("pk", "_raw_token")[:batch_size])
            if not rows:
                return changed
            whens = [When(pk=pk, then=Value(_reencrypt(token, field, pk, active_key_id))) for pk, token in rows]
            manager.filter(pk__in=[pk for pk, _ in rows]).update(
                **{field.attname: Case(*whens, output_field=models.TextField())}
            )
        changed += len(rows)
        last_pk = rows[-1][0]


def _reencrypt(token: str, field: EncryptedTextField, pk: object, key_id: str) -> str:
    try:
        plaintext = decrypt(token, context=field.context)
    except DecryptionError as exc:
        raise DecryptionError(f"{field.model._meta.label}.{field.name} pk={pk!r}: {exc}") from exc
    return encrypt(plaintext, context=field.context, key_id=key_id)
