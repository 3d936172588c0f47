"""End-to-end check of EncryptedTextField and key rotation on a throwaway SQLite database.

Run by ``test_rotation.py`` in a subprocess (``python -m zhufang.privacy.tests.rotation_scenario
<db path>``) so that it can configure Django with two test-only models, whatever settings the
test session itself uses.  Exits non-zero with a traceback on the first failed assertion.
"""

from __future__ import annotations

import sys
from collections import Counter
from typing import ClassVar

import django
from django.conf import settings


def main(db_path: str) -> None:
    settings.configure(
        INSTALLED_APPS=["django.contrib.contenttypes", "zhufang.privacy"],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": db_path}},
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        USE_TZ=True,
    )
    django.setup()

    from django.db import connection, models

    from zhufang.privacy import rotation
    from zhufang.privacy.blind_index import blind_index
    from zhufang.privacy.crypto import DecryptionError, encrypt
    from zhufang.privacy.fields import (
        BlindIndexField,
        EncryptedLookupError,
        EncryptedTextField,
        encrypted_field_registry,
    )
    from zhufang.privacy.keyring import add_data_key
    from zhufang.privacy.rotation import rotate_data_key, rotate_model_field

    class Person(models.Model):  # noqa: DJ008
        name = models.CharField(max_length=20)
        id_number = EncryptedTextField(context="person.id_number", null=True)
        phone = EncryptedTextField(context="person.phone", blank=True, default="")
        phone_index = BlindIndexField(blank=True, default="")
        objects: ClassVar[models.Manager[Person]] = models.Manager()

        class Meta:
            app_label = "privacy"

    class Note(models.Model):  # noqa: DJ008
        text = EncryptedTextField(context="note.text")
        objects: ClassVar[models.Manager[Note]] = models.Manager()

        class Meta:
            app_label = "privacy"

    class VipPerson(Person):  # noqa: DJ008 - proxy: same table, must not be listed twice
        class Meta:
            app_label = "privacy"
            proxy = True

    with connection.schema_editor() as editor:
        editor.create_model(Person)
        editor.create_model(Note)

    registry = [(m.__name__, f.name) for m, f in encrypted_field_registry()]
    assert registry == [("Person", "id_number"), ("Person", "phone"), ("Note", "text")], registry

    def raw(table: str, column: str) -> list[str | None]:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {column} FROM {table} ORDER BY id")  # noqa: S608 - fixed names
            return [row[0] for row in cursor.fetchall()]

    def key_ids(table: str, column: str) -> Counter[str | None]:
        return Counter(None if t is None else t.partition("$")[0] or "" for t in raw(table, column))

    people = {}
    for i in range(7):
        id_number = None if i in (2, 5) else f"1101051949123100{i}"
        phone = f"1381234567{i}"
        p = Person.objects.create(
            name=f"p{i}", id_number=id_number, phone=phone, phone_index=blind_index(phone, kind="phone")
        )
        people[p.pk] = (id_number, phone)
    Note.objects.bulk_create([Note(text=f"note {i}") for i in range(3)])

    # Stored encrypted, read back as plaintext.
    assert all(t is None or t.startswith("k1$") for t in raw("privacy_person", "id_number"))
    assert "11010519491231000" not in str(raw("privacy_person", "id_number"))
    assert Person.objects.get(name="p0").id_number == "11010519491231000"
    assert dict(Person.objects.values_list("pk", "id_number")) == {k: v[0] for k, v in people.items()}
    assert Person.objects.get(phone_index=blind_index("+86 138 1234 5673", kind="phone")).name == "p3"
    assert Person.objects.filter(id_number__isnull=True).count() == 2
    try:
        Person.objects.filter(id_number="11010519491231000").exists()
    except EncryptedLookupError as exc:
        assert "blind index" in str(exc)
    else:
        raise AssertionError("exact lookup on an encrypted field was allowed")

    # Rotation interrupted half-way: finished chunks stay committed, the failing chunk rolls back.
    assert add_data_key() == "k2"
    Person.objects.create(name="new", id_number="34052419800101001X", phone="13900000000")
    real_encrypt = rotation.encrypt
    calls = 0

    def flaky_encrypt(plaintext: str, **kwargs: object) -> str:
        nonlocal calls
        calls += 1
        if calls == 4:
            raise RuntimeError("power cut")
        return real_encrypt(plaintext, **kwargs)  # type: ignore[arg-type]

    rotation.encrypt = flaky_encrypt  # type: ignore[assignment]
    try:
        rotate_model_field(Person, "id_number", "k2", batch_size=2)
    except RuntimeError:
        pass
    else:
        raise AssertionError("the simulated failure did not happen")
    finally:
        rotation.encrypt = real_encrypt
    assert key_ids("privacy_person", "id_number") == Counter({"k1": 3, "k2": 3, None: 2})

    # Resuming re-encrypts only what is left, and leaves values unchanged.
    counts = rotate_data_key(new_key_id="k2", batch_size=2)
    assert counts == {"privacy.Person": 3 + 7, "privacy.Note": 3}, counts
    assert key_ids("privacy_person", "id_number") == Counter({"k2": 6, None: 2})
    assert key_ids("privacy_person", "phone") == Counter({"k2": 8})
    assert key_ids("privacy_note", "text") == Counter({"k2": 3})
    assert {p.pk: (p.id_number, p.phone) for p in Person.objects.exclude(name="new")} == people
    assert sorted(Note.objects.values_list("text", flat=True)) == ["note 0", "note 1", "note 2"]
    assert rotate_data_key(new_key_id="k2") == {"privacy.Person": 0, "privacy.Note": 0}

    try:
        rotate_data_key(new_key_id="k1")
    except ValueError as exc:
        assert "active data key 'k2'" in str(exc)
    else:
        raise AssertionError("resuming to a non-active key was allowed")

    # A full rotation adds k3; raw "" values (never written by the field) are left alone.
    Note.objects.filter(pk=1).update(text=models.Value(""))
    assert raw("privacy_note", "text")[0] == ""
    counts = rotate_data_key(batch_size=1000)
    assert counts == {"privacy.Person": 6 + 8, "privacy.Note": 2}, counts
    assert key_ids("privacy_note", "text") == Counter({"k3": 2, "": 1})
    assert Note.objects.get(pk=1).text == ""

    # A token moved to another column, or corrupted, stops rotation with the row named.
    add_data_key()
    wrong_context = encrypt("x", context="note.text", key_id="k3")
    Person.objects.filter(name="p4").update(id_number=models.Value(wrong_context))
    try:
        rotate_model_field(Person, "id_number", "k4", batch_size=100)
    except DecryptionError as exc:
        assert "privacy.Person.id_number pk=5" in str(exc), exc
    else:
        raise AssertionError("a foreign token was re-encrypted")

    class Bad(models.Model):  # noqa: DJ008
        secret = EncryptedTextField(context="bad.secret", unique=True)

        class Meta:
            app_label = "privacy"

    assert [e.id for e in Bad._meta.get_field("secret").check()] == ["privacy.E001"]
    print("OK")


if __name__ == "__main__":
    main(sys.argv[1])
