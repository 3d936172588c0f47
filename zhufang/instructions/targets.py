"""Targets typed into the batch form (or pasted from a spreadsheet column), one per line:

* ``house:123`` / ``person:45`` / ``establishment:6`` / ``address:789`` — a registry object by id;
* ``118.5432,36.5101 河道东岸`` — a free location (WGS-84 longitude, latitude, then a label);
* anything else — an address text, matched to a standard address by the registry's matcher; a line
  that matches nothing (or only with low confidence) is reported, never guessed.
"""

from __future__ import annotations

import re

from zhufang.instructions.models import TargetKind
from zhufang.instructions.routing import TargetRef
from zhufang.registry.address_index import current_index

REF = re.compile(r"^(person|house|establishment|address)\s*[:：]\s*(\d+)$")
POINT = re.compile(r"^(-?\d{1,3}(?:\.\d+)?)\s*[,，]\s*(-?\d{1,2}(?:\.\d+)?)\s*(.*)$")


def parse_target_lines(text: str) -> tuple[list[TargetRef], list[str]]:
    """(targets, Chinese problems naming the line)."""
    targets: list[TargetRef] = []
    problems: list[str] = []
    addresses: list[tuple[int, str]] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        if ref := REF.match(line):
            targets.append(TargetRef(ref.group(1), int(ref.group(2))))
        elif point := POINT.match(line):
            lon, lat = float(point.group(1)), float(point.group(2))
            targets.append(TargetRef(TargetKind.LOCATION, lon=lon, lat=lat, label=point.group(3).strip()[:255]))
        else:
            addresses.append((number, line))
    if addresses:
        matches = current_index().matcher.match_many([line for _n, line in addresses])
        for (number, line), match in zip(addresses, matches, strict=True):
            if match.address_id is None or match.needs_review:
                problems.append(f"第{number}行：地址“{line[:40]}”未匹配到标准地址")
            else:
                targets.append(TargetRef(TargetKind.ADDRESS, match.address_id, label=line[:255]))
    return targets, problems
