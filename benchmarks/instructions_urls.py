"""The product's URLs plus the load run's baseline: ``POST /bench/bare/<item id>``, a minimal
authenticated Django write view doing what every phone submission must — an idempotency-key insert
(the same ``run_once`` as the product), a row lock on the item and one event — and nothing else (no
scope, no permission lookup, no form validation, no state machine). Served only by the benchmark."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.http import require_POST

from zhufang.events.models import DomainEvent
from zhufang.idempotency.services import run_once
from zhufang.instructions.models import InstructionItem
from zhufang.urls import urlpatterns as product_urlpatterns

BARE_EVENT = "bench.bare"


@require_POST
def bare_write(request: HttpRequest, item_id: int) -> JsonResponse:
    user = request.user
    if not user.is_authenticated:
        return JsonResponse({"detail": "not authenticated"}, status=401)
    payload = json.loads(request.body or b"{}")

    def write() -> tuple[int, Any]:
        item = InstructionItem.objects.select_for_update().filter(pk=item_id).values("pk", "owner_unit_id").first()
        if item is None:
            return 404, {"detail": "item not found"}
        DomainEvent.objects.create(
            kind=BARE_EVENT,
            actor_id=user.pk,
            owner_unit_id=item["owner_unit_id"],
            object_type="instructions.instructionitem",
            object_id=str(item_id),
            data={"fields": len(payload.get("data", {}))},
        )
        return 201, {"id": item_id, "status": "stored"}

    status, body, _replayed = run_once(
        principal=user,
        endpoint=f"bench.bare:{item_id}",
        key=request.headers.get("Idempotency-Key"),
        payload=payload,
        write=write,
    )
    return JsonResponse(body, status=status)


urlpatterns = [path("bench/bare/<int:item_id>", bare_write), *product_urlpatterns]
