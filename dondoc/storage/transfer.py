"""Moving to another store: every content file of a local store folder copied into the configured store (an S3
bucket when a deployment leaves the embedded default), each checked against its SHA-256 name. Safe to run again."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from dondoc.storage.interface import SHA256, Store


@dataclass
class CopyReport:
    copied: int = 0
    present: int = 0  # the target had the content already
    damaged: list[str] = field(default_factory=list)  # files whose content does not hash to their name: not copied


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def copy_folder(root: Path, target: Store, progress: Callable[[str], None] | None = None) -> CopyReport:
    """Copy `<root>/<2 hex>/<sha256>` files into `target`, one at a time, never held in memory. Blocking."""
    report = CopyReport()
    for path in sorted(root.glob("??/*")):
        if not SHA256.fullmatch(path.name) or path.parent.name != path.name[:2] or not path.is_file():
            continue
        if file_sha256(path) != path.name:
            report.damaged.append(path.name)
            continue
        if target.copy_in(path, path.name):
            report.copied += 1
        else:
            report.present += 1
        if progress is not None:
            progress(path.name)
    return report
