"""Registry API: scope and masking on every endpoint, search by full ID through the blind index,
registration from a phone with an idempotency key, marking a house's use."""

from __future__ import annotations

import pytest
from django.test import Client

from zhufang.audit.models import AuditAction, AuditEntry
from zhufang.conftest import Demo
from zhufang.privacy.blind_index import blind_index
from zhufang.privacy.validators import id_check_digit
from zhufang.registry.models import House, Person, StandardAddress

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


def make_house(grid: object, code: str, street: str) -> House:
    address = StandardAddress.objects.create(
        code=code,
        township="城关街道",
        community="民主社区",
        street=street,
        house_number="8",
        canonical=f"|城关街道|民主社区|{street}|8||||",
        full_text=f"城关街道民主社区{street}8号",
        owner_unit=grid,  # type: ignore[misc]
    )
    return House.objects.create(address=address, owner_unit=address.owner_unit)


def an_id(sequence: int) -> str:
    first17 = f"37072419880808{sequence:03d}"
    return first17 + id_check_digit(first17)


@pytest.fixture
def houses(demo: Demo) -> tuple[House, House]:
    officer_grid = demo.user("community_officer").unit.children.order_by("code").first()
    other_grid = next(g for g in demo.grids if not g.path.startswith(demo.user("community_officer").unit.path))
    return make_house(officer_grid, "H1", "兴隆路"), make_house(other_grid, "H2", "人民路")


def register(client: Client, house: House, key: str | None = None, **extra: str) -> object:
    payload = {
        "house_id": house.pk,
        "name": "刘一",
        "id_number": an_id(1),
        "category": "floating",
        "phone": "13800001111",
        **extra,
    }
    headers = {"Idempotency-Key": key} if key else {}
    return client.post("/api/v1/registry/people", payload, content_type="application/json", headers=headers)


def test_officer_registers_a_tenant_once_under_retry(demo: Demo, houses: tuple[House, House]) -> None:
    client = demo.client_for("community_officer")
    first = register(client, houses[0], key="phone-123")
    assert first.status_code == 201, first.content  # type: ignore[attr-defined]
    body = first.json()  # type: ignore[attr-defined]
    assert body["id_number_masked"] == an_id(1)[:4] + "*" * 10 + an_id(1)[-4:]
    assert body["phone_masked"] == "138****1111"
    retry = register(client, houses[0], key="phone-123")
    assert retry.status_code == 200 and retry.json() == body  # type: ignore[attr-defined]
    assert Person.objects.count() == 1
    assert AuditEntry.objects.filter(action=AuditAction.CREATE, object_type="registry.person").count() == 1
    conflict = register(client, houses[0], key="phone-123", name="刘二")
    assert conflict.status_code == 409  # type: ignore[attr-defined]
    again = register(client, houses[0], key="phone-456")
    assert again.status_code == 422 and "已登记" in str(again.json())  # type: ignore[attr-defined]


def test_bad_id_and_out_of_scope_house_are_refused(demo: Demo, houses: tuple[House, House]) -> None:
    client = demo.client_for("community_officer")
    bad = register(client, houses[0], id_number=an_id(1)[:-1] + ("0" if an_id(1)[-1] != "0" else "1"))
    assert bad.status_code == 422 and "校验码" in str(bad.json())  # type: ignore[attr-defined]
    assert register(client, houses[1]).status_code == 404  # type: ignore[attr-defined]
    assert Person.objects.count() == 0


def test_search_by_full_id_uses_the_blind_index_within_scope(demo: Demo, houses: tuple[House, House]) -> None:
    for house, sequence in ((houses[0], 3), (houses[1], 5)):
        Person.objects.create(
            name=f"周{sequence}",
            id_number=an_id(sequence),
            id_index=blind_index(an_id(sequence), kind="id_number"),
            category="registered",
            house=house,
            owner_unit=house.owner_unit,
        )
    officer = demo.client_for("community_officer")
    found = officer.get("/api/v1/registry/people", {"q": an_id(3).lower()}).json()
    assert [p["name"] for p in found] == ["周3"]
    assert officer.get("/api/v1/registry/people", {"q": an_id(5)}).json() == []  # another station's resident
    centre = demo.client_for("centre_operator")
    assert [p["name"] for p in centre.get("/api/v1/registry/people", {"q": "周"}).json()] == ["周3", "周5"]


def test_grid_worker_sees_less_personal_data(demo: Demo, houses: tuple[House, House]) -> None:
    grid = houses[0].owner_unit
    Person.objects.create(
        name="欧阳娜娜",
        id_number=an_id(7),
        id_index=blind_index(an_id(7), kind="id_number"),
        category="floating",
        house=houses[0],
        owner_unit=grid,
        labels=["重点关注"],
    )
    worker = demo.user("grid_worker")
    if worker.unit_id != grid.pk:  # type: ignore[union-attr]
        worker.unit = grid  # type: ignore[assignment]
        worker.save()
    client = Client()
    client.force_login(worker)
    detail = client.get(f"/api/v1/registry/houses/{houses[0].pk}").json()
    resident = detail["residents"][0]
    assert resident["name"] == "欧***" and resident["labels"] == [] and resident["birth_year"] is None
    officer = demo.client_for("community_officer").get(f"/api/v1/registry/houses/{houses[0].pk}").json()
    assert officer["residents"][0]["name"] == "欧阳娜娜"


def test_mark_house_use_is_scoped_and_audited(demo: Demo, houses: tuple[House, House]) -> None:
    client = demo.client_for("community_officer")
    response = client.patch(
        f"/api/v1/registry/houses/{houses[0].pk}", {"use": "rental"}, content_type="application/json"
    )
    assert response.json() == {"id": houses[0].pk, "use": "rental"}
    entry = AuditEntry.objects.filter(object_type="registry.house").latest("id")
    assert entry.changes == {"use": ["unknown", "rental"]}
    other = client.patch(f"/api/v1/registry/houses/{houses[1].pk}", {"use": "rental"}, content_type="application/json")
    assert other.status_code == 404
    assert (
        client.patch(
            f"/api/v1/registry/houses/{houses[0].pk}", {"use": "castle"}, content_type="application/json"
        ).status_code
        == 422
    )


def test_reveal_id_number_is_audited(demo: Demo, houses: tuple[House, House]) -> None:
    person = Person.objects.create(
        name="孙九",
        id_number=an_id(9),
        id_index=blind_index(an_id(9), kind="id_number"),
        category="registered",
        house=houses[0],
        owner_unit=houses[0].owner_unit,
    )
    client = demo.client_for("community_officer")
    response = client.post(
        f"/api/v1/registry/people/{person.pk}/reveal",
        {"field": "id_number", "reason": "入户核查"},
        content_type="application/json",
    )
    assert response.json()["value"] == an_id(9)
    assert AuditEntry.objects.filter(action=AuditAction.REVEAL, object_id=str(person.pk), reason="入户核查").exists()
