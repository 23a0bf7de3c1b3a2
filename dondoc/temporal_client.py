"""Connecting to Temporal with the pydantic data converter every dondoc process must share."""

from __future__ import annotations

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from dondoc.settings import Settings


async def connect(settings: Settings, address: str | None = None) -> Client:
    return await Client.connect(
        address or settings.effective_temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=pydantic_data_converter,
    )
