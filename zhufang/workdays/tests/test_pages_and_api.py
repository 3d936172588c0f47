"""The calendar page, the administrator's entry page and the API, with and without the permission."""

from __future__ import annotations

import pytest

from zhufang.audit.models import AuditEntry
from zhufang.conftest import Demo
from zhufang.workdays.models import CalendarYear
from zhufang.workdays.tests.helpers import HOLIDAYS_TEXT_2027, NOTICE_2027, WORKING_TEXT_2027

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

FORM_2027 = {
    "year": "2027",
    "source_reference": NOTICE_2027,
    "holidays": HOLIDAYS_TEXT_2027,
    "working_days": WORKING_TEXT_2027,
    "note": "",
}


def test_calendar_page_shows_a_year_and_checks_a_deadline(demo: Demo) -> None:
    client = demo.client_for("community_officer")
    html = client.get("/workdays/", {"year": "2025"}).content.decode()
    assert 'data-date="2025-10-11" data-working="1"' in html and 'data-date="2025-10-08" data-working="0"' in html
    assert "国庆节" in html and 'data-testid="coverage-warning"' not in html
    assert '10-01 – 10-05</td><td>国庆节</td><td class="text-secondary">5天' in html  # runs, in Chinese
    assert 'data-testid="enter-year"' not in html  # no entry button without the permission
    checked = client.get(
        "/workdays/", {"year": "2025", "start": "2025-09-30T10:00", "unit": "working_days", "amount": "3"}
    ).content.decode()
    assert 'data-testid="due">2025-10-11 23:59<' in checked


def test_an_uncovered_year_is_shown_with_a_warning_in_chinese(demo: Demo) -> None:
    html = demo.client_for("centre_operator").get("/workdays/", {"year": "2027"}).content.decode()
    assert 'data-testid="coverage-warning"' in html and "2027年的节假日安排尚未录入" in html
    checked = demo.client_for("centre_operator").get(
        "/workdays/", {"year": "2027", "start": "2027-09-30T10:00", "unit": "working_days", "amount": "3"}
    )
    body = checked.content.decode()
    assert 'data-testid="due">2027-10-05 23:59<' in body and 'data-testid="deadline-warning"' in body


def test_the_administrator_enters_2027_through_the_form(demo: Demo) -> None:
    client = demo.client_for("system_admin")
    page = client.get("/workdays/years/new/").content.decode()
    assert 'value="2027"' in page  # the next year is proposed
    response = client.post("/workdays/years/new/", FORM_2027)
    assert response.status_code == 302 and response["Location"] == "/workdays/?year=2027"
    assert CalendarYear.objects.get(year=2027).days.count() == 19 + 3
    html = client.get("/workdays/", {"year": "2027"}).content.decode()
    assert 'data-testid="coverage-warning"' not in html and 'data-date="2027-10-09" data-working="1"' in html
    # correcting it: the form comes back filled with what is stored
    again = client.get("/workdays/years/new/", {"year": "2027"}).content.decode()
    assert "国庆节 2027-10-01 至 2027-10-07" in again and "国庆节 2027-10-09" in again


def test_form_errors_are_shown_in_chinese_on_their_field(demo: Demo) -> None:
    bad = {**FORM_2027, "working_days": "国庆节 2027-09-29"}
    html = demo.client_for("system_admin").post("/workdays/years/new/", bad).content.decode()
    assert 'data-testid="error-working_days"' in html and "调休上班日必须是星期六或星期日" in html
    assert not CalendarYear.objects.filter(year=2027).exists()


@pytest.mark.parametrize("role", ["centre_operator", "security_admin", "station_head"])
def test_the_entry_page_and_endpoint_refuse_non_administrators(demo: Demo, role: str) -> None:
    client = demo.client_for(role)
    assert client.get("/workdays/years/new/").status_code == 403
    assert client.post("/workdays/years/new/", FORM_2027).status_code == 403
    payload = {
        "year": 2027,
        "source_reference": NOTICE_2027,
        "holidays": [{"name": "国庆节", "first": "2027-10-01", "last": "2027-10-07"}],
    }
    assert client.post("/api/v1/workdays/years", payload, content_type="application/json").status_code == 403
    assert not CalendarYear.objects.filter(year=2027).exists()
    assert not AuditEntry.objects.filter(object_type="workdays.calendaryear").exists()


def test_api_reads_a_year(demo: Demo) -> None:
    client = demo.client_for("grid_worker")
    year = client.get("/api/v1/workdays/years/2025").json()
    assert year["covered"] and year["warning"] is None and year["source"] == "package"
    assert {"date": "2025-10-01", "kind": "holiday", "name": "国庆节", "weekday": 3} in year["holidays"]
    assert [d["date"] for d in year["working_days"]] == [
        "2025-01-26",
        "2025-02-08",
        "2025-04-27",
        "2025-09-28",
        "2025-10-11",
    ]
    uncovered = client.get("/api/v1/workdays/years/2027").json()
    assert not uncovered["covered"] and uncovered["holidays"] == [] and "2027" in uncovered["warning"]
    years = client.get("/api/v1/workdays/years").json()
    assert [y["year"] for y in years] == list(range(2004, 2027))
    assert client.get("/api/v1/workdays/years/2025", headers={}).status_code == 200
    from django.test import Client

    assert Client().get("/api/v1/workdays/years/2025").status_code == 401


def test_api_checks_a_deadline(demo: Demo) -> None:
    client = demo.client_for("command_room")
    due = client.get(
        "/api/v1/workdays/deadline", {"start": "2025-09-30T10:00:00+08:00", "unit": "working_days", "amount": "3"}
    ).json()
    assert due["due"] == "2025-10-11T23:59:59.999+08:00" and not due["approximate"] and due["warning"] is None
    hours = client.get(
        "/api/v1/workdays/deadline", {"start": "2025-09-30T23:30:00+08:00", "unit": "hours", "amount": "1"}
    )
    assert hours.json()["due"] == "2025-10-01T00:30:00+08:00"
    rough = client.get("/api/v1/workdays/deadline", {"start": "2027-09-30T10:00:00+08:00", "amount": "3"}).json()
    assert rough["due"] == "2027-10-05T23:59:59.999+08:00" and rough["approximate"]
    assert rough["uncovered_years"] == [2027] and "2027" in rough["warning"]
    naive = client.get("/api/v1/workdays/deadline", {"start": "2025-09-30T10:00:00", "amount": "3"})
    assert naive.status_code == 422 and "start" in naive.json()["errors"]
    assert client.get("/api/v1/workdays/deadline", {"amount": "0"}).status_code == 422


def test_api_enters_a_year_and_reports_errors_by_field(demo: Demo) -> None:
    client = demo.client_for("system_admin")
    bad = {
        "year": 2027,
        "source_reference": NOTICE_2027,
        "holidays": [{"name": "国庆节", "first": "2027-10-01", "last": "2027-10-07"}],
        "working_days": [{"date": "2027-10-06", "name": "国庆节"}],
    }
    refused = client.post("/api/v1/workdays/years", bad, content_type="application/json")
    assert refused.status_code == 422
    assert refused.json()["errors"]["working_days"] == [  # the API speaks the request's language
        "第1行：2027-10-06 是星期三：调休上班日必须是星期六或星期日",
        "第1行：2027-10-06 不能既是放假日（国庆节）又是调休上班日",
    ]
    good = {**bad, "working_days": [{"date": "2027-10-09", "name": "国庆节"}]}
    created = client.post("/api/v1/workdays/years", good, content_type="application/json")
    assert created.status_code == 201 and created.json()["covered"]
    due = client.get("/api/v1/workdays/deadline", {"start": "2027-09-30T10:00:00+08:00", "amount": "3"}).json()
    assert due["due"] == "2027-10-11T23:59:59.999+08:00" and not due["approximate"]
