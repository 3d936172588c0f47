"""Inspection photos (检查照片): checked for type by their content (not by the name or the browser's
claim) and for size before anything is stored. JPEG, PNG and WebP are what phones send and browsers
show; anything else is refused with a message naming the file and the field."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext

#: default upper bound (a phone's full-resolution JPEG is 3–8 MB); ZHUFANG_INSPECTION_PHOTO_MAX_BYTES overrides
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
#: (content type, extension) by leading bytes
SIGNATURES: tuple[tuple[bytes, int, str, str], ...] = (
    (b"\xff\xd8\xff", 0, "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png", "png"),
)


@dataclass(frozen=True)
class CheckedPhoto:
    content_type: str
    extension: str
    sha256: str
    size: int


def max_photo_bytes() -> int:
    return int(getattr(settings, "ZHUFANG_INSPECTION_PHOTO_MAX_BYTES", DEFAULT_MAX_BYTES))


def sniff(head: bytes) -> tuple[str, str] | None:
    """(content type, extension) of an image from its first bytes, or ``None``."""
    for signature, offset, content_type, extension in SIGNATURES:
        if head[offset : offset + len(signature)] == signature:
            return content_type, extension
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp", "webp"
    return None


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}"


def check_photo(upload: Any) -> CheckedPhoto:
    """Refuse an empty, oversized or non-image upload (``ValidationError`` on field ``photo``);
    otherwise return its type and digest. Reads the file in chunks and rewinds it."""
    name = getattr(upload, "name", "") or gettext("(unnamed file)")
    size = getattr(upload, "size", None)
    limit = max_photo_bytes()
    if size is not None and size > limit:
        raise _refuse(size_message(name, size, limit))
    upload.seek(0)
    head = upload.read(16)
    if not head:
        raise _refuse(gettext("Photo %(name)s: the file is empty") % {"name": name})
    kind = sniff(head)
    if kind is None:
        raise _refuse(
            gettext("Photo %(name)s is not a JPEG, PNG or WebP image; take the photo again or choose another file")
            % {"name": name}
        )
    digest = hashlib.sha256(head)
    total = len(head)
    while chunk := upload.read(1024 * 1024):
        digest.update(chunk)
        total += len(chunk)
        if total > limit:
            raise _refuse(size_message(name, total, limit))
    upload.seek(0)
    return CheckedPhoto(content_type=kind[0], extension=kind[1], sha256=digest.hexdigest(), size=total)


def size_message(name: str, size: int, limit: int) -> str:
    return gettext("Photo %(name)s is %(size)s MB; the largest photo accepted is %(limit)s MB") % {
        "name": name,
        "size": _megabytes(size),
        "limit": _megabytes(limit),
    }


def _refuse(message: str) -> ValidationError:
    return ValidationError({"photo": [message]})
