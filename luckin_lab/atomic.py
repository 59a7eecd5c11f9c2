"""Files other processes read while we write them: run records, manifests, ``latest`` links.

Each update is atomic (write elsewhere, then rename), so a reader sees the old or the new
state, never half of one.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable
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


def write_file_atomic(path: Path, write: Callable[[Path], object]) -> Path:
    """``write(tmp)`` then rename onto ``path``; the temporary name is unique to this process,
    so concurrent writers never share (or tear) one file."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        write(tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def write_text_atomic(path: Path, text: str) -> Path:
    """A text file a reader (a browser, a concurrent run) sees old or new, never half."""
    return write_file_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
