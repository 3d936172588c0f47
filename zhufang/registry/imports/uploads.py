"""Running an import on an uploaded file (page or API): the upload is spooled to a private temporary
directory under var/imports (a million-row file is not held in memory twice) and removed afterwards."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from zhufang.registry.imports.runner import (
    ImportReport,
    import_addresses,
    import_establishments,
    import_houses,
    import_people,
)

IMPORTERS = {
    "people": import_people,
    "addresses": import_addresses,
    "houses": import_houses,
    "establishments": import_establishments,
}


def import_upload(kind: str, upload: UploadedFile, *, actor: Any, dry_run: bool, ignore_unknown: bool) -> ImportReport:
    """Raises KeyError for an unknown kind and ImportRefused for a file that cannot be imported."""
    importer = IMPORTERS[kind]
    spool = Path(settings.VAR_DIR) / "imports"
    spool.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=spool) as directory:
        path = Path(directory) / Path(upload.name or "upload.csv").name
        with path.open("wb") as handle:
            for chunk in upload.chunks():
                handle.write(chunk)
        return importer(path, actor=actor, dry_run=dry_run, display_name=upload.name, ignore_unknown=ignore_unknown)
