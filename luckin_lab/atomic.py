"""Files other processes read while we write them: run records, manifests, ``latest`` links.

Each update is atomic (write elsewhere, then rename), so a reader sees the old or the new
state, never half of one.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


def write_json_atomic(path: Path, doc: dict[str, Any]) -> Path:
    """Write-then-rename with fsync: after a crash the file is the old or the new one, whole."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w") as fh:
        json.dump(doc, fh, indent=2, default=str)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return path


def read_json(path: Path) -> dict[str, Any] | None:
    """The document, or None when the file is missing or not valid JSON (a torn or foreign file)."""
    path = Path(path)
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError:
        return None


def point_latest(folder: Path, name: str = "latest") -> Path:
    """Point ``<parent>/latest`` at ``folder`` (atomic rename of a relative symlink)."""
    folder = Path(folder)
    link = folder.parent / name
    tmp = folder.parent / f".{name}.tmp"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    tmp.symlink_to(folder.name, target_is_directory=True)
    os.replace(tmp, link)
    return link
