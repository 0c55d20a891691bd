"""The deployment files agree with the code: every service of the registry runs in
docker compose and in Kubernetes, in the order the platform needs (engines healthy, schema
migrated), the gateway is reachable and probed, and nothing secret or machine-specific
is committed. There is no Docker engine here, so this is how compose, the Dockerfile and
the manifests are checked before review."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.platform.registry import SERVICES

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = DEPLOY / "Dockerfile"
NAMES = [info.name for info in SERVICES]


def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())


def k8s_documents() -> list[dict[str, Any]]:
    docs = []
    for path in sorted(K8S.glob("*.yaml")):
        docs.extend(doc for doc in yaml.safe_load_all(path.read_text()) if doc)
    return docs


def k8s_objects(kind: str) -> list[dict[str, Any]]:
    return [doc for doc in k8s_documents() if doc.get("kind") == kind]


def as_argv(value: Any) -> list[str]:
    if value is None:
        return []
    return value.split() if isinstance(value, str) else [str(part) for part in value]


def runs_service(argv: list[str], name: str) -> bool:
    """``osprey run <name>`` or ``python -m services.platform.run <name>``."""
    text = " ".join(argv)
    return bool(
        re.search(rf"(^|\s|/)osprey run {re.escape(name)}$", text)
        or re.search(rf"-m services\.platform\.run {re.escape(name)}$", text)
    )


def container_argv(deployment: dict[str, Any]) -> list[list[str]]:
    containers = deployment["spec"]["template"]["spec"]["containers"]
    return [as_argv(c.get("command")) + as_argv(c.get("args")) for c in containers]


def depends_on(service: dict[str, Any]) -> dict[str, str]:
    deps = service.get("depends_on") or {}
    if isinstance(deps, list):  # the short form has no conditions
        return {name: "service_started" for name in deps}
    return {name: (spec or {}).get("condition", "service_started") for name, spec in deps.items()}


# --- docker compose ------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_every_registered_service_runs_in_compose_after_engines_and_migration(name: str) -> None:
    service = compose()["services"].get(name)
    assert service is not None, f"docker-compose.yml has no service {name!r}"
    assert runs_service(as_argv(service.get("command")), name), service.get("command")
    deps = depends_on(service)
    assert deps.get("rabbitmq") == "service_healthy"
    assert deps.get("postgres") == "service_healthy"
    assert deps.get("migrate") == "service_completed_successfully"


def test_compose_engines_have_healthchecks() -> None:
    services = compose()["services"]
    assert services["rabbitmq"]["image"].startswith("rabbitmq:3-management")
    assert "rabbitmq-diagnostics" in " ".join(as_argv(services["rabbitmq"]["healthcheck"]["test"]))
    assert services["postgres"]["image"].startswith("postgres:15")
    assert "pg_isready" in " ".join(as_argv(services["postgres"]["healthcheck"]["test"]))


def test_compose_migrates_once_before_anything_else() -> None:
    migrate = compose()["services"]["migrate"]
    assert as_argv(migrate["command"])[-2:] == ["osprey", "migrate"]
    assert str(migrate.get("restart", "no")) == "no"
    assert depends_on(migrate).get("postgres") == "service_healthy"


def test_compose_gateway_is_published_probed_and_waits_for_the_platform() -> None:
    gateway = compose()["services"]["gateway"]
    assert as_argv(gateway["command"])[-3:] == ["python", "-m", "gateway"]
    assert any(str(port).endswith(":8000") for port in gateway["ports"]), gateway["ports"]
    assert gateway["environment"]["OSPREY_HTTP_HOST"] == "0.0.0.0"
    assert "/healthz" in " ".join(as_argv(gateway["healthcheck"]["test"]))
    deps = depends_on(gateway)
    assert deps["rabbitmq"] == "service_healthy"
    assert deps["postgres"] == "service_healthy"
    assert deps["migrate"] == "service_completed_successfully"
    assert set(NAMES) <= set(deps), "the gateway should start after every service"


def test_compose_builds_every_osprey_container_from_the_one_dockerfile() -> None:
    services = compose()["services"]
    for name in [*NAMES, "migrate", "gateway"]:
        build = services[name]["build"]
        assert build["context"] == "."
        assert build["dockerfile"] == "deploy/Dockerfile"
        assert services[name]["environment"]["OSPREY_DATABASE_URL"].startswith("postgresql://")


# --- Kubernetes ----------------------------------------------------------------------------


def deployments() -> list[dict[str, Any]]:
    return k8s_objects("Deployment")


@pytest.mark.parametrize("name", NAMES)
def test_every_registered_service_has_its_own_deployment(name: str) -> None:
    matching = [
        d for d in deployments() if any(runs_service(argv, name) for argv in container_argv(d))
    ]
    assert len(matching) == 1, f"want one Deployment running `osprey run {name}`"
    deployment = matching[0]
    assert deployment["spec"]["replicas"] == 1
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    sources = {next(iter(k for k in s if k.endswith("Ref"))) for s in container["envFrom"]}
    assert sources == {"configMapRef", "secretRef"}
    assert container["resources"]["requests"] and container["resources"]["limits"]


def test_every_deployment_selects_its_own_pods() -> None:
    for deployment in deployments():
        selector = deployment["spec"]["selector"]["matchLabels"]
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert selector.items() <= labels.items(), deployment["metadata"]["name"]
    selectors = [tuple(sorted(d["spec"]["selector"]["matchLabels"].items())) for d in deployments()]
    assert len(selectors) == len(set(selectors)), "two Deployments would fight over pods"


def test_k8s_migrate_job_exists() -> None:
    jobs = [
        job
        for job in k8s_objects("Job")
        if any(
            (as_argv(c.get("command")) + as_argv(c.get("args")))[-2:] == ["osprey", "migrate"]
            for c in job["spec"]["template"]["spec"]["containers"]
        )
    ]
    assert len(jobs) == 1


def test_k8s_gateway_is_probed_and_its_service_targets_it() -> None:
    gateway = next(
        d
        for d in deployments()
        if any(argv[-3:] == ["python", "-m", "gateway"] for argv in container_argv(d))
    )
    container = gateway["spec"]["template"]["spec"]["containers"][0]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    port_names = {p.get("name") for p in container["ports"]} | {
        p["containerPort"] for p in container["ports"]
    }

    labels = gateway["spec"]["template"]["metadata"]["labels"]
    services = [
        s for s in k8s_objects("Service") if s["spec"]["selector"].items() <= labels.items()
    ]
    assert services, "no Service selects the gateway's pods"
    for service in services:
        for port in service["spec"]["ports"]:
            assert port["targetPort"] in port_names
    others = [d for d in deployments() if d["metadata"]["name"] != gateway["metadata"]["name"]]
    for service in services:  # the Service must not also pick up worker pods
        for other in others:
            pod_labels = other["spec"]["template"]["metadata"]["labels"]
            assert not service["spec"]["selector"].items() <= pod_labels.items()


def test_k8s_config_and_secret_template() -> None:
    (config,) = k8s_objects("ConfigMap")
    (secret,) = k8s_objects("Secret")
    names = {
        ref[key]["name"]
        for d in [*deployments(), *k8s_objects("Job")]
        for c in d["spec"]["template"]["spec"]["containers"]
        for ref in c["envFrom"]
        for key in ref
    }
    assert names == {config["metadata"]["name"], secret["metadata"]["name"]}
    assert config["data"]["OSPREY_HTTP_HOST"] == "0.0.0.0"
    for key, value in secret["stringData"].items():
        assert "REPLACE" in value, f"{key} must stay a placeholder in the template"
    assert not any("PASSWORD" in key or "URL" in key or "URI" in key for key in config["data"])


def test_kustomization_lists_every_manifest() -> None:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    listed = set(kustomization["resources"])
    files = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == files


# --- the image -----------------------------------------------------------------------------


def dockerfile_lines() -> list[str]:
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def test_dockerfile_installs_the_lock_and_runs_as_a_user() -> None:
    lines = dockerfile_lines()
    final_stage = lines[max(i for i, line in enumerate(lines) if line.startswith("FROM ")) :]
    assert final_stage[0].startswith("FROM python:3.11-slim")
    runs = [line for line in final_stage if line.startswith("RUN ")]
    assert any("-r requirements.lock" in line for line in runs)
    assert any("--no-deps" in line for line in runs)
    users = [line.split()[1] for line in final_stage if line.startswith("USER ")]
    assert users, "the image must not run as root"
    assert users[-1].split(":")[0] not in ("root", "0")
    assert any(line.startswith("CMD ") for line in final_stage)


SECRETISH = re.compile(
    r"(password|passwd|secret|token|api[_-]?key|private[_-]?key)\s*[=:]\s*\S+"
    r"|-----BEGIN [A-Z ]*PRIVATE KEY-----",
    re.IGNORECASE,
)


def test_dockerfile_bakes_in_no_secrets() -> None:
    for line in dockerfile_lines():
        if line.split()[0] in ("ENV", "ARG", "RUN", "LABEL"):
            assert not SECRETISH.search(line), line


# --- nothing of one developer's machine ------------------------------------------------------

MACHINE_PATH = re.compile(r"(?<![\w.])(/home/|/Users/|/root/|/work/|/mnt/|[A-Za-z]:\\\\)")


def committed_deploy_files() -> list[Path]:
    files = [p for p in DEPLOY.rglob("*") if p.is_file()]
    return [COMPOSE, ROOT / ".ci" / "run", ROOT / "Makefile", ROOT / ".dockerignore", *files]


def test_no_absolute_path_of_a_developer_machine() -> None:
    here = str(ROOT)
    for path in committed_deploy_files():
        text = path.read_text(errors="replace")
        assert here not in text, f"{path.relative_to(ROOT)} names this checkout's path"
        match = MACHINE_PATH.search(text)
        assert match is None, f"{path.relative_to(ROOT)}: {match.group(0) if match else ''}"


# --- the entry points people use -----------------------------------------------------------


def test_ci_runs_make_test() -> None:
    ci = ROOT / ".ci" / "run"
    assert os.access(ci, os.X_OK), ".ci/run must be executable"
    commands = [line.strip() for line in ci.read_text().splitlines() if not line.startswith("#")]
    assert any(re.search(r"\bmake test\b", c) for c in commands)


def test_makefile_has_the_documented_targets() -> None:
    text = (ROOT / "Makefile").read_text()
    for target in ("up", "down", "test", "lint", "migrate", "bench", "web"):
        assert re.search(rf"^{target}:", text, re.MULTILINE), target


def test_local_scripts_are_strict_executable_bash() -> None:
    for script in (DEPLOY / "local").glob("*.sh"):
        assert os.access(script, os.X_OK), script.name
        text = script.read_text()
        assert text.startswith("#!/usr/bin/env bash"), script.name
        assert "set -euo pipefail" in text, script.name


def test_readme_names_the_commands_and_every_setting() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "make up" in readme
    assert "make test" in readme
    config = (ROOT / "services" / "platform" / "config.py").read_text()
    for variable in sorted(set(re.findall(r'"(OSPREY_[A-Z_]+)"', config))):
        assert f"`{variable}`" in readme, f"README.md does not document {variable}"
