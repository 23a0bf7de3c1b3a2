"""Connecting to Temporal: the address, TLS or API key, metrics runtime and tracing every dondoc process shares.

Plain TCP to the embedded dev server by default; TLS (optionally mutual, with a private CA and server name) for a
self-hosted cluster; an API key over TLS for Temporal Cloud. The SDK's own metrics go to Prometheus on
`temporal_metrics_port`; OpenTelemetry tracing through `temporalio.contrib.opentelemetry` when `tracing_enabled`.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import TypedDict

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest, ListSearchAttributesRequest
from temporalio.client import Client, Interceptor
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.service import RPCError, RPCStatusCode, TLSConfig

from dondoc.logs import get_logger
from dondoc.settings import Settings
from models.workflow_io import SEARCH_ATTRIBUTES


class ConnectOptions(TypedDict):
    """The keyword arguments of `Client.connect` that settings decide."""

    target_host: str
    namespace: str
    api_key: str | None
    tls: bool | TLSConfig
    runtime: Runtime | None
    interceptors: Sequence[Interceptor]
    data_converter: DataConverter


def tls_config(settings: Settings) -> bool | TLSConfig:
    """False for plain TCP; True for TLS with the system's CAs; a TLSConfig when files or a server name are given.

    An API key always travels over TLS (Temporal Cloud refuses it otherwise).
    """
    files = (settings.temporal_tls_ca_file, settings.temporal_tls_cert_file, settings.temporal_tls_key_file)
    if not any(files) and not settings.temporal_tls_server_name:
        return settings.temporal_tls or settings.temporal_api_key is not None

    def read(path: Path | None) -> bytes | None:
        return path.read_bytes() if path is not None else None

    return TLSConfig(
        server_root_ca_cert=read(settings.temporal_tls_ca_file),
        client_cert=read(settings.temporal_tls_cert_file),
        client_private_key=read(settings.temporal_tls_key_file),
        domain=settings.temporal_tls_server_name,
    )


@cache
def metrics_runtime(bind_address: str) -> Runtime:
    """One runtime per process (it owns the Prometheus listener); the worker and web client of `dondoc up` share it."""
    return Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=bind_address)))


def runtime(settings: Settings) -> Runtime | None:
    """The metrics runtime, or the SDK's default one when metrics are off or their port is taken: a one-shot command
    run beside a worker (`kubectl exec … dondoc start`) must still work, without the worker's port."""
    if settings.temporal_metrics_port is None:
        return None
    address = f"{settings.metrics_host}:{settings.temporal_metrics_port}"
    try:
        return metrics_runtime(address)
    except ValueError as error:
        get_logger(component="temporal").warning("temporal_metrics_off", address=address, error=str(error))
        return None


def interceptors(settings: Settings) -> list[Interceptor]:
    if not settings.tracing_enabled:
        return []
    from dondoc.tracing import temporal_tracing_interceptor  # the OpenTelemetry SDK loads only when asked for

    return [temporal_tracing_interceptor()]


def connect_options(settings: Settings, address: str | None = None) -> ConnectOptions:
    return ConnectOptions(
        target_host=address or settings.effective_temporal_address,
        namespace=settings.temporal_namespace,
        api_key=settings.temporal_api_key,
        tls=tls_config(settings),
        runtime=runtime(settings),
        interceptors=interceptors(settings),
        data_converter=pydantic_data_converter,
    )


async def connect(settings: Settings, address: str | None = None) -> Client:
    return await Client.connect(**connect_options(settings, address))


_INDEXED = {
    "Keyword": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    "Datetime": IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
    "Int": IndexedValueType.INDEXED_VALUE_TYPE_INT,
}


async def register_search_attributes(client: Client) -> None:
    """Register dondoc's search attributes on a server that does not have them yet (idempotent)."""
    namespace = client.namespace
    try:
        listed = await client.operator_service.list_search_attributes(ListSearchAttributesRequest(namespace=namespace))
        existing = set(listed.custom_attributes)
    except RPCError as error:  # the time-skipping test server cannot list, only add
        if error.status != RPCStatusCode.UNIMPLEMENTED:
            raise
        existing = set()
    missing = {name: _INDEXED[kind] for name, kind in SEARCH_ATTRIBUTES.items() if name not in existing}
    if missing:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(namespace=namespace, search_attributes=missing)
        )
