"""The local-folder backend (the embedded default): `<root>/<first two hex digits>/<sha256>`."""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from dondoc.storage.interface import SHA256, TEMP_PREFIX, Blob, Store, StoredFile, check_sha256, cutoff_of


class LocalStore(Store):
    """Content on a local (or shared network) folder; the mark of a save is the file's mtime in nanoseconds."""

    def __init__(self, root: Path, max_bytes: int) -> None:
        super().__init__(max_bytes, spool=root)  # temp files beside the content: moved in place, never copied
        self.root = root

    def path_of(self, sha256: str) -> Path:
        sha256 = check_sha256(sha256)
        return self.root / sha256[:2] / sha256

    def _keep(self, tmp: Path, sha256: str) -> tuple[bool, str]:
        final = self.path_of(sha256)
        final.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(tmp, final)  # atomic: of concurrent saves of one content exactly one writes it (the caller
        except FileExistsError:  # removes the temp file either way)
            os.utime(final, ns=(time.time_ns(), max(time.time_ns(), final.stat().st_mtime_ns + 1)))
            return False, str(final.stat().st_mtime_ns)
        return True, str(final.stat().st_mtime_ns)

    def open(self, sha256: str) -> Blob | None:
        path = self.path_of(sha256)
        try:
            return Blob(size=path.stat().st_size, path=path)
        except FileNotFoundError:
            return None

    def discard(self, stored: StoredFile) -> bool:
        if not stored.fresh:
            return False
        path = self.path_of(stored.ref.sha256)
        try:
            if str(path.stat().st_mtime_ns) != stored.claim:
                return False
            path.unlink()
        except FileNotFoundError:
            return False
        with contextlib.suppress(OSError):  # other files may share the folder
            path.parent.rmdir()
        return True

    def sweep(self, referenced: Callable[[str], bool], older_than: timedelta) -> list[str]:
        cutoff = cutoff_of(older_than)
        removed: list[str] = []
        if not self.root.exists():
            return removed
        self._sweep_spool(cutoff)
        for path in self.root.glob("??/*"):
            if not SHA256.fullmatch(path.name):
                continue
            try:
                if path.stat().st_mtime >= cutoff or referenced(path.name):
                    continue
                path.unlink()
            except FileNotFoundError:
                continue
            removed.append(path.name)
            with contextlib.suppress(OSError):
                path.parent.rmdir()
        return removed

    def check(self) -> None:
        """The folder exists and takes a write."""
        self.root.mkdir(parents=True, exist_ok=True)
        descriptor, name = tempfile.mkstemp(dir=self.root, prefix=TEMP_PREFIX)
        os.close(descriptor)
        os.unlink(name)
