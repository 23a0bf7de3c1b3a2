"""The S3-compatible backend (AWS S3, MinIO, Ceph, Garage …): `<prefix><first two hex digits>/<sha256>` in a bucket
shared by every web replica. Content is written only if absent (a conditional put), so two replicas saving the same
file at once never overwrite each other; the mark of a save is a random token in the object's metadata."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from dondoc.storage.interface import READ_CHUNK, SHA256, Blob, Store, StoredFile, check_sha256, cutoff_of

if TYPE_CHECKING:
    from types_boto3_s3.client import S3Client

_CLAIM = "dondoc-claim"  # user metadata (x-amz-meta-dondoc-claim)
_ABSENT = {"404", "NoSuchKey", "NotFound"}
_EXISTS = {"PreconditionFailed", "ConditionalRequestConflict", "412", "409"}


def s3_client(
    endpoint_url: str | None,
    region: str | None,
    access_key_id: str | None,
    secret_access_key: str | None,
    addressing_style: Literal["auto", "path", "virtual"] = "auto",
) -> S3Client:
    """A client for the bucket's server; credentials left unset come from the usual AWS chain (environment, role)."""
    config = Config(
        s3={"addressing_style": addressing_style},
        retries={"max_attempts": 5, "mode": "standard"},
        connect_timeout=5,
        read_timeout=60,
    )
    client: S3Client = boto3.client(
        "s3",
        endpoint_url=endpoint_url,
        region_name=region,
        aws_access_key_id=access_key_id,
        aws_secret_access_key=secret_access_key,
        config=config,
    )
    return client


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


class S3Store(Store):
    def __init__(self, client: S3Client, bucket: str, prefix: str, max_bytes: int, spool: Path) -> None:
        super().__init__(max_bytes, spool)
        self.client = client
        self.bucket = bucket
        self.prefix = prefix if not prefix or prefix.endswith("/") else f"{prefix}/"

    def key_of(self, sha256: str) -> str:
        sha256 = check_sha256(sha256)
        return f"{self.prefix}{sha256[:2]}/{sha256}"

    def _keep(self, tmp: Path, sha256: str) -> tuple[bool, str]:
        key = self.key_of(sha256)
        for _ in range(3):  # the content may vanish (a sweep) between a refused put and the renewal
            claim = secrets.token_hex(16)
            try:
                with tmp.open("rb") as body:
                    self.client.put_object(
                        Bucket=self.bucket, Key=key, Body=body, IfNoneMatch="*", Metadata={_CLAIM: claim}
                    )
                return True, claim
            except ClientError as error:
                if _code(error) not in _EXISTS:
                    raise
            try:  # there already: renew its age and mark it as relied on by this save
                self.client.copy_object(
                    Bucket=self.bucket,
                    Key=key,
                    CopySource={"Bucket": self.bucket, "Key": key},
                    Metadata={_CLAIM: claim},
                    MetadataDirective="REPLACE",
                )
                return False, claim
            except ClientError as error:
                if _code(error) not in _ABSENT:
                    raise
        raise OSError(f"could not store {key}: it keeps appearing and vanishing")

    def open(self, sha256: str) -> Blob | None:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self.key_of(sha256))
        except ClientError as error:
            if _code(error) in _ABSENT:
                return None
            raise
        return Blob(size=int(answer["ContentLength"]), chunks=_stream(answer["Body"]))

    def discard(self, stored: StoredFile) -> bool:
        if not stored.fresh:
            return False
        key = self.key_of(stored.ref.sha256)
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            if _code(error) in _ABSENT:
                return False
            raise
        if head.get("Metadata", {}).get(_CLAIM) != stored.claim:
            return False  # another save relied on it since
        self.client.delete_object(Bucket=self.bucket, Key=key)  # a save renewing it right now is the race left
        return True

    def sweep(self, referenced: Callable[[str], bool], older_than: timedelta) -> list[str]:
        cutoff = cutoff_of(older_than)
        self._sweep_spool(cutoff)
        removed: list[str] = []
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix)
        for page in pages:
            for item in page.get("Contents", []):
                key = item["Key"]
                sha256 = key.rsplit("/", 1)[-1]
                if not SHA256.fullmatch(sha256) or key != self.key_of(sha256):
                    continue
                if item["LastModified"].timestamp() >= cutoff or referenced(sha256):
                    continue
                if self._delete_if_untouched(key, cutoff):
                    removed.append(sha256)
        return removed

    def _delete_if_untouched(self, key: str, cutoff: float) -> bool:
        """Delete unless a save renewed it since it was listed (then it is young again)."""
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            if _code(error) in _ABSENT:
                return False
            raise
        if head["LastModified"].timestamp() >= cutoff:
            return False
        self.client.delete_object(Bucket=self.bucket, Key=key)
        return True

    def check(self) -> None:
        self.client.head_bucket(Bucket=self.bucket)


def _stream(body: Any) -> Iterator[bytes]:
    """The object's body in chunks as they arrive, the connection released when done or abandoned."""
    try:
        yield from body.iter_chunks(READ_CHUNK)
    finally:
        body.close()
