"""Evidence and report files: streamed in, checked by content, stored once by SHA-256, never overwritten; on a local
folder (the embedded default) or in an S3-compatible bucket shared by every replica, as the settings choose."""

from __future__ import annotations

from dondoc.settings import Settings
from dondoc.storage.detection import ACCEPTED_LABEL, ALLOWED, detect
from dondoc.storage.interface import Blob, Store, StoredFile, UploadError, safe_name, size_label, too_large
from dondoc.storage.local import LocalStore
from dondoc.storage.s3 import S3Store, s3_client

__all__ = [
    "ACCEPTED_LABEL",
    "ALLOWED",
    "Blob",
    "LocalStore",
    "S3Store",
    "Store",
    "StoredFile",
    "UploadError",
    "detect",
    "open_store",
    "safe_name",
    "size_label",
    "too_large",
]


def open_store(settings: Settings) -> Store:
    """The store the settings name (`DONDOC_STORAGE_BACKEND`, docs/settings.md)."""
    max_bytes = settings.max_upload_mb * 1024 * 1024
    if settings.storage_backend == "s3":
        assert settings.s3_bucket is not None  # the settings refuse s3 without a bucket
        client = s3_client(
            settings.s3_endpoint_url,
            settings.s3_region,
            settings.s3_access_key_id,
            settings.s3_secret_access_key.get_secret_value() if settings.s3_secret_access_key else None,
            settings.s3_addressing_style,
        )
        return S3Store(client, settings.s3_bucket, settings.s3_prefix, max_bytes, settings.data_dir / "upload-spool")
    return LocalStore(settings.files_dir, max_bytes)
