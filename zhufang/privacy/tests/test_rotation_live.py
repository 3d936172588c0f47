"""Key rotation against the project's real encrypted columns (accounts.User.phone)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import connection

from zhufang.accounts import services
from zhufang.accounts.models import User
from zhufang.conftest import Demo
from zhufang.privacy.crypto import key_id_of
from zhufang.privacy.keyring import get_keyring
from zhufang.privacy.rotation import rotate_data_key

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


def stored_token(user: User) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone FROM accounts_user WHERE id = %s", [user.pk])
        return str(cursor.fetchone()[0])


def test_rotate_keys_re_encrypts_every_user_phone(demo: Demo, key_file: Path) -> None:
    admin = demo.user("system_admin")
    users = [demo.user(role) for role in ("community_officer", "grid_worker", "station_head")]
    for i, user in enumerate(users):
        services.update_user(actor=admin, user=user, phone=f"1390000000{i}")
    old_key = get_keyring().active_data_key_id
    assert {key_id_of(stored_token(u)) for u in users} == {old_key}

    counts = rotate_data_key(batch_size=2)
    new_key = get_keyring().active_data_key_id
    assert new_key != old_key and counts["accounts.User"] == len(users)
    assert {key_id_of(stored_token(u)) for u in users} == {new_key}
    assert [User.objects.get(pk=u.pk).phone for u in users] == [f"1390000000{i}" for i in range(len(users))]
    resumed = rotate_data_key(new_key_id=new_key)  # resuming finds nothing left to re-encrypt
    assert "accounts.User" in resumed and set(resumed.values()) == {0}
