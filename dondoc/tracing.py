"""OpenTelemetry tracing (switched on by DONDOC_TRACING_ENABLED): spans of workflow starts, updates, workflows and
activities through temporalio.contrib.opentelemetry, exported over OTLP/HTTP.

The exporter reads the standard variables: OTEL_EXPORTER_OTLP_ENDPOINT (default http://localhost:4318),
OTEL_EXPORTER_OTLP_HEADERS, OTEL_SERVICE_NAME (default here: dondoc), OTEL_RESOURCE_ATTRIBUTES;
OTEL_TRACES_EXPORTER=none exports nothing.
"""

from __future__ import annotations

import os
from functools import cache

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from temporalio.contrib.opentelemetry import TracingInterceptor


@cache
def tracer_provider() -> TracerProvider:
    """The process's provider, installed once as the global one; spans leave in batches."""
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: os.environ.get("OTEL_SERVICE_NAME", "dondoc")}))
    if os.environ.get("OTEL_TRACES_EXPORTER", "otlp") != "none":  # the standard switch; `none` keeps spans local
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    return provider


def temporal_tracing_interceptor() -> TracingInterceptor:
    """Client and worker interceptor: a worker built on the client inherits it."""
    return TracingInterceptor(tracer_provider().get_tracer("dondoc"))


def shutdown() -> None:
    """Flush the spans still in the batch (on a clean stop)."""
    if tracer_provider.cache_info().currsize:
        tracer_provider().shutdown()
