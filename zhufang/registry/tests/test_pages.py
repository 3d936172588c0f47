"""Registry pages: search, the house page (mark use, register a resident), the import page."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from zhufang.conftest import Demo
from zhufang.privacy.blind_index import blind_index
from zhufang.registry.models import House, Person
from zhufang.registry.tests.test_api import an_id, make_house

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


@pytest.fixture
def house(demo: Demo) -> House:
    grid = demo.user("community_officer").unit.children.order_by("code").first()
    return make_house(grid, "P1", "兴隆路")


def test_search_shows_masked_identifiers_with_watermark(demo: Demo, house: House) -> None:
    Person.objects.create(
        name="钱七",
        id_number=an_id(11),
        id_index=blind_index(an_id(11), kind="id_number"),
        phone="13912345678",
        category="floating",
        house=house,
        owner_unit=house.owner_unit,
    )
    html = demo.client_for("community_officer").post("/registry/", {"q": an_id(11)}).content.decode()
    assert "钱七" in html and an_id(11) not in html and an_id(11)[:4] + "*" * 10 in html
    assert "139****5678" in html and 'data-testid="watermark"' in html
    houses = demo.client_for("community_officer").get("/registry/", {"q": "兴隆路"}).content.decode()
    assert f"/registry/houses/{house.pk}/" in houses


def test_house_page_marks_use_and_registers_a_tenant(demo: Demo, house: House) -> None:
    client = demo.client_for("community_officer")
    client.post(f"/registry/houses/{house.pk}/", {"op": "use", "use": "rental"})
    house.refresh_from_db()
    assert house.use == "rental"
    response = client.post(
        f"/registry/houses/{house.pk}/",
        {
            "op": "register",
            "name": "孙八",
            "id_type": "resident_id",
            "id_number": an_id(13),
            "category": "floating",
            "phone": "13700001111",
        },
    )
    assert response.status_code == 302
    page = client.get(f"/registry/houses/{house.pk}/").content.decode()
    assert "孙八" in page and "137****1111" in page
    bad = client.post(
        f"/registry/houses/{house.pk}/",
        {
            "op": "register",
            "name": "错号",
            "id_type": "resident_id",
            "id_number": an_id(15)[:-1] + "Y",
            "category": "floating",
        },
    )
    assert bad.status_code == 200 and 'data-testid="error-id_number"' in bad.content.decode()
    assert Person.objects.count() == 1


def test_grid_worker_cannot_see_another_grid_house(demo: Demo, house: House) -> None:
    other = next(g for g in demo.grids if g.pk != house.owner_unit_id)
    foreign = make_house(other, "P2", "人民路")
    client = demo.client_for("grid_worker")
    assert client.get(f"/registry/houses/{foreign.pk}/").status_code == 404


def test_import_page_dry_run_lists_bad_rows(demo: Demo, house: House) -> None:
    content = (
        "姓名,证件号码,人员类别,居住地址\n"
        f"张三,{an_id(17)},流动人口,{house.address.full_text}\n"
        "李四,123,户籍,不存在的地址\n"
    ).encode("gbk")
    client = demo.client_for("centre_operator")
    response = client.post(
        "/registry/import/", {"kind": "people", "apply": "0", "file": SimpleUploadedFile("人口.csv", content)}
    )
    html = response.content.decode()
    assert 'data-testid="import-report"' in html and "人口.csv" in html and "证件号码" in html
    assert Person.objects.count() == 0
    refused = client.post(
        "/registry/import/",
        {"kind": "people", "apply": "0", "file": SimpleUploadedFile("x.csv", "姓名,爱好\n张三,钓鱼\n".encode())},
    )
    assert 'data-testid="import-refused"' in refused.content.decode()
    assert demo.client_for("community_officer").get("/registry/import/").status_code == 403
