"""How a process connects to Temporal: plain to the dev server, TLS or mutual TLS to a self-hosted cluster, an API
key over TLS to Temporal Cloud; the SDK's metrics on a Prometheus port; tracing when switched on."""

from __future__ import annotations

import socket
import uuid
from pathlib import Path

import httpx
import pytest
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from pydantic import ValidationError
from temporalio.api.workflowservice.v1 import GetSystemInfoRequest
from temporalio.contrib.opentelemetry import TracingInterceptor
from temporalio.service import TLSConfig
from temporalio.testing import WorkflowEnvironment

from dondoc.settings import Settings
from dondoc.temporal_client import connect, connect_options
from dondoc.tracing import tracer_provider
from tests.support.ports import free_port


@pytest.fixture(autouse=True)
def spans_stay_local(monkeypatch: pytest.MonkeyPatch) -> None:
    """No collector in tests: the tracer provider exports nothing (OpenTelemetry's own switch)."""
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "none")


def settings_with(tmp_path: Path, **values: object) -> Settings:
    return Settings(_env_file=None, data_dir=tmp_path, **values)  # type: ignore[arg-type]


def test_by_default_plain_tcp_to_the_embedded_server_without_key_metrics_or_tracing(tmp_path: Path) -> None:
    options = connect_options(settings_with(tmp_path))
    assert options["target_host"] == "127.0.0.1:7233"
    assert options["tls"] is False
    assert options["api_key"] is None
    assert options["runtime"] is None
    assert list(options["interceptors"]) == []


def test_tls_alone_trusts_the_system_certificate_authorities(tmp_path: Path) -> None:
    options = connect_options(settings_with(tmp_path, temporal_address="temporal.example.vn:7233", temporal_tls=True))
    assert options["target_host"] == "temporal.example.vn:7233"
    assert options["tls"] is True


def test_an_api_key_goes_over_tls_as_temporal_cloud_requires(tmp_path: Path) -> None:
    options = connect_options(
        settings_with(
            tmp_path,
            temporal_address="ns.acct.tmprl.cloud:7233",
            temporal_namespace="ns.acct",
            temporal_api_key="key-123",
        )
    )
    assert options["api_key"] == "key-123"
    assert options["tls"] is True
    assert options["namespace"] == "ns.acct"


def test_mutual_tls_reads_the_ca_the_client_pair_and_the_server_name(tmp_path: Path) -> None:
    files = {name: tmp_path / f"{name}.pem" for name in ("ca", "cert", "key")}
    for name, path in files.items():
        path.write_bytes(f"-----BEGIN {name.upper()}-----\n".encode())
    options = connect_options(
        settings_with(
            tmp_path,
            temporal_address="10.0.0.5:7233",
            temporal_tls_ca_file=files["ca"],
            temporal_tls_cert_file=files["cert"],
            temporal_tls_key_file=files["key"],
            temporal_tls_server_name="temporal-frontend.temporal.svc",
        )
    )
    assert options["tls"] == TLSConfig(
        server_root_ca_cert=b"-----BEGIN CA-----\n",
        client_cert=b"-----BEGIN CERT-----\n",
        client_private_key=b"-----BEGIN KEY-----\n",
        domain="temporal-frontend.temporal.svc",
    )


def test_a_private_ca_alone_is_server_side_tls(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_bytes(b"ca")
    options = connect_options(settings_with(tmp_path, temporal_tls_ca_file=ca))
    assert options["tls"] == TLSConfig(server_root_ca_cert=b"ca")


def test_a_client_certificate_without_its_key_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="DONDOC_TEMPORAL_TLS_KEY_FILE"):
        settings_with(tmp_path, temporal_tls_cert_file=tmp_path / "cert.pem")


def test_tracing_adds_the_opentelemetry_interceptor(tmp_path: Path) -> None:
    (interceptor,) = connect_options(settings_with(tmp_path, tracing_enabled=True))["interceptors"]
    assert isinstance(interceptor, TracingInterceptor)


@pytest.mark.integration
async def test_plain_connection_to_the_dev_server_exports_the_sdk_metrics(
    dev_server_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    port = free_port()
    settings = settings_with(
        tmp_path,
        temporal_address=dev_server_env.client.service_client.config.target_host,
        temporal_metrics_port=port,
    )
    client = await connect(settings)
    assert await client.service_client.check_health()
    await client.workflow_service.get_system_info(GetSystemInfoRequest())
    async with httpx.AsyncClient() as http:
        body = (await http.get(f"http://127.0.0.1:{port}/metrics", timeout=10)).text
    assert "temporal_request" in body, body[:2000]


def test_a_taken_metrics_port_leaves_a_one_shot_command_working_without_metrics(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        options = connect_options(settings_with(tmp_path, temporal_metrics_port=port))
    assert options["runtime"] is None


@pytest.mark.integration
async def test_with_tracing_a_workflow_start_becomes_a_span(
    dev_server_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    spans = InMemorySpanExporter()
    tracer_provider().add_span_processor(SimpleSpanProcessor(spans))
    settings = settings_with(
        tmp_path, temporal_address=dev_server_env.client.service_client.config.target_host, tracing_enabled=True
    )
    client = await connect(settings)
    handle = await client.start_workflow("NoSuchWorkflow", id=f"trace-{uuid.uuid4().hex[:8]}", task_queue="nobody")
    await handle.terminate("test done")
    assert "StartWorkflow:NoSuchWorkflow" in [span.name for span in spans.get_finished_spans()]
