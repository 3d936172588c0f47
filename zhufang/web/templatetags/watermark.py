"""Watermark (水印) on pages that show personal data: the viewer's name, 警号 and the time,
tiled across the page as an inline SVG (no external asset)."""

from __future__ import annotations

import base64
from html import escape
from typing import Any

from django import template
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


def watermark_text(user: Any, now: Any = None) -> str:
    now = timezone.localtime(now or timezone.now())
    return f"{user.name} {user.police_number} {now:%Y-%m-%d %H:%M}"


@register.simple_tag
def watermark_style(user: Any) -> SafeString:
    text = escape(watermark_text(user))
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="320" height="180">'
        '<text x="10" y="110" transform="rotate(-20 160 90)" font-size="15" '
        f'fill="rgba(120,120,120,0.16)" font-family="sans-serif">{text}</text></svg>'
    )
    data = base64.b64encode(svg.encode()).decode()
    return mark_safe(f"background-image:url(data:image/svg+xml;base64,{data});")  # noqa: S308 - escaped above
