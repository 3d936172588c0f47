"""Nothing is fetched from the Internet at run time: pages and the API docs reference only this
server's own static files."""

from __future__ import annotations

import re

import pytest
from django.contrib.staticfiles import finders

from zhufang.conftest import Demo

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]
EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["'](?:https?:)?//""", re.IGNORECASE)
LOCAL_ASSET = re.compile(r"""(?:src|href)\s*=\s*["']/static/([^"'?#]+)""")


@pytest.mark.parametrize("path", ["/login/", "/org/", "/org/locate/", "/api/v1/docs"])
def test_pages_load_only_local_assets(demo: Demo, path: str) -> None:
    client = demo.client_for("centre_operator")
    html = client.get(path).content.decode()
    assert not EXTERNAL.search(html), EXTERNAL.findall(html)
    assets = LOCAL_ASSET.findall(html)
    assert assets, "expected the page to reference its static assets"
    missing = [asset for asset in assets if finders.find(asset) is None]
    assert not missing, f"static files not found: {missing}"


def test_openapi_schema_lists_the_endpoints(demo: Demo) -> None:
    schema = demo.client_for("centre_operator").get("/api/v1/openapi.json").json()
    assert {"/api/v1/org/units", "/api/v1/org/locate", "/api/v1/accounts/users", "/api/v1/audit/verify"} <= set(
        schema["paths"]
    )
