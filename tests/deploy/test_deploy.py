"""deploy/, checked by each ecosystem's own validator, and against the commands hub really has.

Debian tools come from scripts/test-tools.sh, PyPI ones from the `dev` extra; kubectl ships with
the machine image. What cannot be checked on this machine is listed in docs/deploy.md.
"""

from __future__ import annotations

import asyncio
import os
import pwd
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import dockerfile  # type: ignore[import-not-found]  # BuildKit's own parser; ships no stubs
import pytest
import yaml
from aiohttp import web

from adapters.registry import SOURCES
from hub.cli.main import main as cli_main
from hub.core.errors import ConfigError
from hub.core.settings import load_settings
from hub.core.urls import broker_urls
from hub.receiver.app import healthz
from hub.service import STAGES
from tests.paths import REPO

ROOT = REPO
DEPLOY = ROOT / "deploy"
ANSIBLE = DEPLOY / "ansible"
K8S = DEPLOY / "k8s"
SYSTEMD = DEPLOY / "systemd"
VENV_BIN = Path(sys.executable).parent
KUBERNETES_VERSION = "1.32.0"  # the kubectl on the machine image is 1.32
COMMANDS = ("run", *STAGES)
WEBHOOK_PORT = 8080
OPS_PORT = 9090
SHUTDOWN_GRACE_SECONDS = 20  # HUB_SHUTDOWN_GRACE's default
UNIT_FILES = sorted(p.name for p in SYSTEMD.glob("hub*.service"))
HUB_IMAGE_BUILD = "deploy/Dockerfile"

Doc = dict[str, Any]


def tool(name: str) -> str:
    """The venv's copy of a PyPI tool, else the one on PATH (Debian's); fail if neither."""
    venv_tool = VENV_BIN / name
    if venv_tool.exists():
        return str(venv_tool)
    found = shutil.which(name)
    assert found, f"{name} is not installed: run scripts/test-tools.sh"
    return found


def run(*args: str | Path, cwd: Path = ROOT, env: dict[str, str] | None = None) -> str:
    """Run a command; fail with its output unless it exits 0; return stdout and stderr."""
    environ = {**os.environ, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    proc = subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env={**environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"{shlex.join(map(str, args))} exited {proc.returncode}:\n{output}"
    return output


def load(path: Path) -> Any:
    """The one YAML document in a file."""
    return yaml.safe_load(path.read_text())


def load_all(path: Path) -> list[Doc]:
    """Every YAML document in a file."""
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def kustomization() -> Doc:
    """deploy/k8s/kustomization.yaml."""
    doc: Doc = load(K8S / "kustomization.yaml")
    return doc


def k8s_resources() -> list[Doc]:
    """Every resource the kustomization lists, as written."""
    return [doc for name in kustomization()["resources"] for doc in load_all(K8S / name)]


def k8s_config_env() -> dict[str, str]:
    """The settings every pod gets from the generated ConfigMap hub-config."""
    (config,) = [g for g in kustomization()["configMapGenerator"] if g["name"] == "hub-config"]
    return dict(item.split("=", 1) for item in config["literals"])


def deployments() -> dict[str, Doc]:
    """The Deployments, by the stage they run (their component label)."""
    return {
        doc["metadata"]["labels"]["app.kubernetes.io/component"]: doc
        for doc in k8s_resources()
        if doc["kind"] == "Deployment"
    }


def hub_container(deployment: Doc) -> Doc:
    """The single hub container of a Deployment."""
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert isinstance(container, dict)
    return container


def compose() -> Doc:
    """deploy/compose.yaml, with its YAML merge keys resolved."""
    doc: Doc = load(DEPLOY / "compose.yaml")
    return doc


def compose_hub_services() -> dict[str, Doc]:
    """The compose services that run the hub image."""
    return {
        name: service
        for name, service in compose()["services"].items()
        if service.get("build", {}).get("dockerfile") == HUB_IMAGE_BUILD
    }


def dockerfile_instructions(cmd: str) -> list[Any]:
    """The Dockerfile's instructions named cmd, parsed by BuildKit's parser."""
    return [c for c in dockerfile.parse_file(str(DEPLOY / "Dockerfile")) if c.cmd.upper() == cmd]


def image_entrypoint() -> list[str]:
    """The image's ENTRYPOINT, which must be in exec (JSON) form."""
    (entrypoint,) = dockerfile_instructions("ENTRYPOINT")
    assert entrypoint.json, "ENTRYPOINT must be exec form, so hub gets SIGTERM as PID 1"
    return list(entrypoint.value)


def unit_directives(path: Path) -> dict[str, list[str]]:
    """A systemd unit's Key=value lines, every value of each key in order."""
    directives: dict[str, list[str]] = {}
    for line in path.read_text().splitlines():
        if "=" in line and not line.startswith(("#", ";", "[")):
            key, _, value = line.partition("=")
            directives.setdefault(key.strip(), []).append(value.strip())
    return directives


def seconds(duration: str) -> float:
    """'30s', '30' or '1m' -> seconds."""
    match = re.fullmatch(r"(\d+)(s|m)?", duration)
    assert match, f"{duration!r} is not a duration in s or m"
    return int(match[1]) * (60 if match[2] == "m" else 1)


def assert_stage_command(where: str, argv: list[str]) -> None:
    """argv is `hub <stage>`: the console script the integration tests run, and a stage of it."""
    assert len(argv) == 2, f"{where}: {argv} is not `hub <stage>`"
    assert Path(argv[0]).name == "hub", f"{where}: {argv[0]!r} is not the hub console script"
    assert argv[1] in COMMANDS, f"{where}: {argv[1]!r} is not one of {COMMANDS}"


# --- YAML, Dockerfile, compose -------------------------------------------------------------------


def test_yamllint_passes_over_deploy() -> None:
    """Every YAML file under deploy/ (examples included) passes yamllint --strict."""
    run(tool("yamllint"), "--strict", ".", cwd=DEPLOY)


def test_dockerfile_is_multi_stage_slim_and_non_root() -> None:
    """The image builds in one stage and runs from a slim base, as a non-root user, in another."""
    args = dict(arg.value[0].split("=", 1) for arg in dockerfile_instructions("ARG"))
    stages = [c.value[0] for c in dockerfile_instructions("FROM")]
    assert len(stages) >= 2, "the Dockerfile is not multi-stage"
    assert stages[-1] == "${PYTHON_IMAGE}"
    assert re.fullmatch(r"python:3\.11-slim-\w+", args["PYTHON_IMAGE"]), args["PYTHON_IMAGE"]
    assert any(c.flags == ("--from=build",) for c in dockerfile_instructions("COPY"))
    user = dockerfile_instructions("USER")[-1].value[0].split(":")[0]
    assert user not in ("0", "root"), f"the image runs as {user!r}"


def test_dockerignore_sends_only_what_the_image_copies() -> None:
    """.dockerignore starts from nothing and re-includes only what the image copies."""
    lines = [
        line
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert lines[0] == "*"
    included = {line.removeprefix("!").rstrip("/") for line in lines if line.startswith("!")}
    copied = {
        src.rstrip("*")
        for c in dockerfile_instructions("COPY")
        if not c.flags
        for src in c.value[:-1]
    }
    assert {"pyproject.toml", "README.md", "hub", "adapters", "routes.yaml"} == copied
    assert copied <= included


def test_compose_file_passes_the_compose_schema(tmp_path: Path) -> None:
    """docker-compose config accepts compose.yaml, monitoring profile included."""
    (tmp_path / "deploy").mkdir()
    shutil.copy(DEPLOY / "compose.yaml", tmp_path / "deploy")
    env = (DEPLOY / "hub.env.example").read_text()
    env_file = tmp_path / "deploy" / "hub.env"
    env = env.replace("\nRABBITMQ_PASSWORD=\n", "\nRABBITMQ_PASSWORD=s3cret\n")
    env = env.replace("\nRABBITMQ_ERLANG_COOKIE=\n", "\nRABBITMQ_ERLANG_COOKIE=c00kie\n")
    env_file.write_text(env)
    out = run(
        tool("docker-compose"),
        "-f",
        tmp_path / "deploy" / "compose.yaml",
        "--env-file",
        env_file,
        "--profile",
        "monitoring",
        "config",
    )
    resolved = yaml.safe_load(out)
    assert set(resolved["services"]) >= {"prometheus", "grafana", "receiver", "webhooks"}
    broker = resolved["services"]["router"]["environment"]["HUB_BROKER_URL"]
    assert broker_urls(broker) == [f"amqp://hub:s3cret@rabbitmq-{n}:5672/" for n in (1, 2, 3)]
    for n in (1, 2, 3):
        erl_args = resolved["services"][f"rabbitmq-{n}"]["environment"]
        assert erl_args["RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS"] == "-setcookie c00kie"


@pytest.mark.parametrize("example", ["hub.env.example", "k8s/secrets.env.example"])
def test_env_examples_as_shipped_pass_hubs_settings_checks(
    example: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The example env files set no secret to an empty value, so hub starts with them as shipped;
    the same file with one secret line uncommented but left blank is refused, naming it."""
    text = (DEPLOY / example).read_text().replace("RABBITMQ_PASSWORD=\n", "RABBITMQ_PASSWORD=x\n")
    sources = {name: adapter.secret_env for name, adapter in SOURCES.items()}
    for name in list(os.environ):
        if name.startswith(("HUB_", "SLACK_")):
            monkeypatch.delenv(name)

    def load(env_text: str) -> None:
        for line in env_text.splitlines():
            if line and not line.startswith("#"):
                name, _, value = line.partition("=")
                monkeypatch.setenv(name, value)
        load_settings().check_sources(sources)

    assert "\n#SLACK_SIGNING_SECRET=\n" in text
    load(text)
    with pytest.raises(ConfigError, match="SLACK_SIGNING_SECRET: is set but empty"):
        load(text.replace("\n#SLACK_SIGNING_SECRET=\n", "\nSLACK_SIGNING_SECRET=\n"))


def test_compose_refuses_to_start_without_a_rabbitmq_password(tmp_path: Path) -> None:
    """The example env file as shipped names the one value compose cannot do without."""
    shutil.copy(DEPLOY / "compose.yaml", tmp_path)
    shutil.copy(DEPLOY / "hub.env.example", tmp_path / "hub.env")
    proc = subprocess.run(
        [tool("docker-compose"), "-f", "compose.yaml", "--env-file", "hub.env", "config"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode != 0
    assert "set RABBITMQ_PASSWORD in hub.env" in proc.stderr


def test_compose_runs_two_of_each_stage_with_durable_engines() -> None:
    """Two receivers, routers and deliverers; a 3-node RabbitMQ cluster and Redis (AOF on) keep
    data in volumes, and every stage waits for all three nodes."""
    services = compose()["services"]
    for stage in STAGES:
        assert services[stage]["deploy"]["replicas"] == 2
        for n in (1, 2, 3):
            assert services[stage]["depends_on"][f"rabbitmq-{n}"]["condition"] == "service_healthy"
    cluster_conf = (DEPLOY / "rabbitmq" / "rabbitmq.conf").read_text()
    for n in (1, 2, 3):
        rabbit = services[f"rabbitmq-{n}"]
        assert rabbit["hostname"] == f"rabbitmq-{n}"
        assert f"rabbitmq-{n}-data:/var/lib/rabbitmq" in rabbit["volumes"]
        assert (
            "./rabbitmq/rabbitmq.conf:/etc/rabbitmq/conf.d/20-cluster.conf:ro" in rabbit["volumes"]
        )
        assert "management" in rabbit["image"]
        assert f"classic_config.nodes.{n} = rabbit@rabbitmq-{n}" in cluster_conf
    assert "redis-data:/data" in services["redis"]["volumes"]
    assert services["redis"]["command"][1:3] == ["--appendonly", "yes"]
    assert "../routes.yaml:/etc/hub/routes/routes.yaml:ro" in services["router"]["volumes"]


def test_compose_monitoring_loads_the_ops_dashboard_and_rules() -> None:
    """Prometheus mounts hub-rules.yml where its config looks; Grafana gets the dashboard."""
    services = compose()["services"]
    prometheus_config = load(DEPLOY / "prometheus" / "prometheus.yml")
    (rules_glob,) = prometheus_config["rule_files"]
    rules_mount = "./prometheus/hub-rules.yml:/etc/prometheus/rules/hub-rules.yml:ro"
    assert rules_mount in services["prometheus"]["volumes"]
    assert Path("/etc/prometheus/rules/hub-rules.yml").match(rules_glob)
    provider = load(DEPLOY / "grafana" / "provisioning" / "dashboards" / "hub.yml")
    dashboards = provider["providers"][0]["options"]["path"]
    dashboard_mount = f"./grafana/hub-dashboard.json:{dashboards}/hub-dashboard.json:ro"
    assert dashboard_mount in services["grafana"]["volumes"]
    for service in ("prometheus", "grafana"):
        assert services[service]["profiles"] == ["monitoring"]


def test_haproxy_config_is_valid() -> None:
    """haproxy -c accepts the config that puts the receivers behind the published port."""
    run(tool("haproxy"), "-c", "-f", DEPLOY / "haproxy" / "haproxy.cfg")


def test_prometheus_config_is_valid_with_hubs_rules(tmp_path: Path) -> None:
    """promtool accepts the monitoring profile's config with hub-rules.yml where compose puts it."""
    config = (DEPLOY / "prometheus" / "prometheus.yml").read_text()
    (tmp_path / "rules").mkdir()
    shutil.copy(DEPLOY / "prometheus" / "hub-rules.yml", tmp_path / "rules")
    (tmp_path / "prometheus.yml").write_text(config.replace("/etc/prometheus/rules/", "rules/"))
    out = run(tool("promtool"), "check", "config", tmp_path / "prometheus.yml")
    assert "1 rule files found" in out


# --- Kubernetes ----------------------------------------------------------------------------------


def test_kustomization_lists_only_files_that_exist_and_load() -> None:
    """Every resource and generator file of kustomization.yaml is there and parses."""
    spec = kustomization()
    for name in spec["resources"]:
        assert load_all(K8S / name), f"{name} is empty"
    for generator in spec["configMapGenerator"]:
        for name in generator.get("files", []):
            assert (K8S / name).is_file(), name
    for generator in spec["secretGenerator"]:
        for name in generator["envs"]:
            assert (K8S / f"{name}.example").is_file(), f"{name}.example is missing"


def test_kubernetes_manifests_match_the_openapi_schemas() -> None:
    """Each manifest validates strictly against Kubernetes' schemas (offline, fixed version)."""
    files = [K8S / name for name in kustomization()["resources"]]
    run(tool("kubernetes-validate"), "--strict", "-k", KUBERNETES_VERSION, "--quiet", *files)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`kubectl kustomize` of deploy/k8s, with secrets.env made from its example."""
    work = tmp_path_factory.mktemp("k8s") / "k8s"
    shutil.copytree(K8S, work)
    shutil.copy(work / "secrets.env.example", work / "secrets.env")
    out = work.parent / "rendered.yaml"
    out.write_text(run(tool("kubectl"), "kustomize", work))
    return out


def test_kustomize_output_matches_the_openapi_schemas(rendered: Path) -> None:
    """The rendered set, generated ConfigMaps and Secret included, validates strictly."""
    run(tool("kubernetes-validate"), "--strict", "-k", KUBERNETES_VERSION, "--quiet", rendered)


def test_kustomize_output_is_namespaced_and_wired(rendered: Path) -> None:
    """All in namespace hub, pods pick up the generated config and secret, the image is set."""
    docs = load_all(rendered)
    names = {(d["kind"], d["metadata"]["name"]) for d in docs}
    assert ("ConfigMap", "hub-routes") in names, "hub-routes must keep its name (hot reload)"
    for doc in docs:
        if doc["kind"] != "Namespace":
            assert doc["metadata"]["namespace"] == "hub", doc["metadata"]["name"]
        if doc["kind"] == "Deployment":
            container = hub_container(doc)
            refs = {next(iter(v.values()))["name"] for v in container["envFrom"]}
            generated = {n for k, n in names if k in ("ConfigMap", "Secret")}
            assert refs <= generated, f"{refs - generated} not generated"
            assert container["image"].endswith("/hub:0.1.0")


def test_k8s_routes_pass_routes_check() -> None:
    """The routes.yaml the ConfigMap is made from is a valid routing table."""
    run(tool("hub"), "routes", "check", K8S / "routes.yaml")


def test_k8s_routes_are_mounted_as_a_directory_for_hot_reload() -> None:
    """Routers mount the routes ConfigMap as a directory (no subPath) where HUB_ROUTES points."""
    (generator,) = [g for g in kustomization()["configMapGenerator"] if g["name"] == "hub-routes"]
    assert generator["options"]["disableNameSuffixHash"] is True
    env = k8s_config_env()
    router = deployments()["router"]
    (mount,) = [m for m in hub_container(router)["volumeMounts"] if m["name"] == "routes"]
    assert "subPath" not in mount
    assert env["HUB_ROUTES"] == f"{mount['mountPath']}/routes.yaml"
    volumes = {v["name"]: v for v in router["spec"]["template"]["spec"]["volumes"]}
    assert volumes["routes"]["configMap"]["name"] == "hub-routes"


def test_k8s_pods_are_non_root_with_read_only_root_and_limits() -> None:
    """Every stage runs non-root, read-only root, no privilege escalation, within limits."""
    for stage, deployment in deployments().items():
        pod = deployment["spec"]["template"]["spec"]
        container = hub_container(deployment)
        assert pod["securityContext"]["runAsNonRoot"] is True, stage
        assert container["securityContext"]["readOnlyRootFilesystem"] is True, stage
        assert container["securityContext"]["allowPrivilegeEscalation"] is False, stage
        assert container["securityContext"]["capabilities"]["drop"] == ["ALL"], stage
        assert {"requests", "limits"} <= set(container["resources"]), stage
        mounts = {m["mountPath"] for m in container["volumeMounts"]}
        assert "/var/lib/hub" in mounts, f"{stage}: HUB_DATA_DIR is not writable"


def test_k8s_autoscales_router_and_deliverer_with_disruption_budgets() -> None:
    """HPAs target the router and deliverer; every stage has a PodDisruptionBudget."""
    resources = k8s_resources()
    scaled = {
        d["spec"]["scaleTargetRef"]["name"]
        for d in resources
        if d["kind"] == "HorizontalPodAutoscaler"
    }
    assert scaled == {"hub-router", "hub-deliverer"}
    budgets = {
        d["spec"]["selector"]["matchLabels"]["app.kubernetes.io/component"]
        for d in resources
        if d["kind"] == "PodDisruptionBudget"
    }
    assert budgets == set(STAGES)


def test_ops_port_is_never_exposed() -> None:
    """Only the receiver's webhook port has a Service, Ingress or published compose port."""
    resources = k8s_resources()
    (service,) = [d for d in resources if d["kind"] == "Service"]
    assert [p["targetPort"] for p in service["spec"]["ports"]] == ["http"]
    assert service["spec"]["selector"]["app.kubernetes.io/component"] == "receiver"
    receiver_ports = {
        p["name"]: p["containerPort"] for p in hub_container(deployments()["receiver"])["ports"]
    }
    assert receiver_ports["http"] == WEBHOOK_PORT
    (ingress,) = [d for d in resources if d["kind"] == "Ingress"]
    for rule in ingress["spec"]["rules"]:
        for path in rule["http"]["paths"]:
            assert path["path"].startswith("/hooks")
            assert path["backend"]["service"] == {"name": "hub-receiver", "port": {"name": "http"}}
    for name, compose_service in compose_hub_services().items():
        assert "ports" not in compose_service, f"compose service {name} publishes a port"


def test_network_policy_admits_the_ops_port_only_from_inside() -> None:
    """The ops port is reachable only from the namespace and monitoring; webhooks from anywhere."""
    policies = [d for d in k8s_resources() if d["kind"] == "NetworkPolicy"]
    for policy in policies:
        for rule in policy["spec"]["ingress"]:
            ports = {p["port"] for p in rule["ports"]}
            if OPS_PORT in ports:
                assert rule.get("from"), f"{policy['metadata']['name']} opens 9090 to everyone"
            else:
                assert ports == {WEBHOOK_PORT}
    selected = {p["metadata"]["name"]: p["spec"]["podSelector"]["matchLabels"] for p in policies}
    assert selected["hub-ops-internal"] == {"app.kubernetes.io/name": "hub"}


# --- Ansible -------------------------------------------------------------------------------------


def ansible_env(tmp_path: Path) -> dict[str, str]:
    """Ansible's temp files in tmp_path, and this directory's ansible.cfg."""
    return {
        "ANSIBLE_CONFIG": str(ANSIBLE / "ansible.cfg"),
        "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-tmp"),
        "ANSIBLE_REMOTE_TEMP": str(tmp_path / "ansible-tmp"),
        "ANSIBLE_NOCOLOR": "1",
    }


def local_inventory(tmp_path: Path) -> Path:
    """An inventory that puts this machine in the `hub` group, run locally as root."""
    inventory = tmp_path / "inventory.ini"
    inventory.write_text(
        "[hub]\nlocalhost ansible_connection=local"
        " ansible_python_interpreter=/usr/bin/python3 ansible_become=false\n"
    )
    return inventory


def machine_state() -> dict[str, bool]:
    """What the role would create on this machine, and whether it is there."""
    try:
        pwd.getpwnam("hub")
        user = True
    except KeyError:
        user = False
    paths = ["/etc/hub", "/opt/hub", *(f"/etc/systemd/system/{u}" for u in UNIT_FILES)]
    return {"user hub": user, **{p: Path(p).exists() for p in paths}}


def test_ansible_lint_passes_offline_on_the_production_profile(tmp_path: Path) -> None:
    """ansible-lint (profile production, offline) finds nothing in the role and playbook."""
    out = run(tool("ansible-lint"), cwd=ANSIBLE, env=ansible_env(tmp_path))
    assert "Profile 'production' was required, and it passed" in out


def test_playbook_passes_syntax_check(tmp_path: Path) -> None:
    """ansible-playbook --syntax-check accepts the playbook and role."""
    run(
        tool("ansible-playbook"),
        "-i",
        local_inventory(tmp_path),
        "playbook.yml",
        "--syntax-check",
        cwd=ANSIBLE,
        env=ansible_env(tmp_path),
    )


@pytest.mark.parametrize("profile", ["embedded", "distributed"])
def test_playbook_check_mode_succeeds_and_changes_nothing(tmp_path: Path, profile: str) -> None:
    """The playbook runs in check mode against this machine, with the example vault, untouched."""
    before = machine_state()
    out = run(
        tool("ansible-playbook"),
        "-i",
        local_inventory(tmp_path),
        "playbook.yml",
        "--check",
        "--diff",
        "-e",
        "@group_vars/hub/vault.yml.example",
        "-e",
        f"hub_profile={profile}",
        "-e",
        "vault_hub_broker_url=amqp://hub:pw@rabbitmq:5672/",
        "-e",
        "vault_hub_state_url=redis://redis:6379/0",
        cwd=ANSIBLE,
        env=ansible_env(tmp_path),
    )
    assert re.search(r"localhost\s+: ok=\d+\s+changed=\d+\s+unreachable=0\s+failed=0", out), out
    assert machine_state() == before


def test_role_templates_render_a_valid_routes_file_and_a_quoted_env_file(tmp_path: Path) -> None:
    """The role's templates give a routes.yaml that passes routes check and exact secrets."""
    role = ANSIBLE / "roles" / "hub"
    playbook = tmp_path / "render.yml"
    tasks = [
        {
            "name": f"Render {name}",
            "ansible.builtin.template": {
                "src": str(role / "templates" / f"{name}.j2"),
                "dest": str(tmp_path / name),
                "mode": "0600",
            },
        }
        for name in ("routes.yaml", "hub.env")
    ]
    play = {
        "name": "Render the role's templates",
        "hosts": "localhost",
        "gather_facts": False,
        "vars_files": [
            str(role / "defaults" / "main.yml"),
            str(role / "vars" / "main.yml"),
            str(ANSIBLE / "group_vars" / "hub" / "vault.yml.example"),
            str(ANSIBLE / "group_vars" / "hub" / "vars.yml"),
        ],
        "tasks": tasks,
    }
    playbook.write_text(yaml.safe_dump([play]))
    secret = 'a"b$c\\d`e f'
    run(
        tool("ansible-playbook"),
        "-i",
        local_inventory(tmp_path),
        playbook,
        "-e",
        yaml.safe_dump({"hub_github_secret": secret}, default_flow_style=True),
        env=ansible_env(tmp_path),
    )
    run(tool("hub"), "routes", "check", tmp_path / "routes.yaml")
    env_lines = (tmp_path / "hub.env").read_text().splitlines()
    assert 'HUB_GITHUB_SECRET="a\\"b\\$c\\\\d\\`e f"' in env_lines
    assert 'HUB_OPS_LISTEN="127.0.0.1:9090"' in env_lines


def test_routes_change_reloads_with_sighup_not_restart() -> None:
    """A routes change notifies a handler that reloads (ExecReload= SIGHUP) the routes readers."""
    tasks = load(ANSIBLE / "roles" / "hub" / "tasks" / "main.yml")
    handlers = {h["name"]: h for h in load(ANSIBLE / "roles" / "hub" / "handlers" / "main.yml")}
    (routes_task,) = [t for t in tasks if t["name"] == "Write the routing table"]
    handler = handlers[routes_task["notify"]]
    assert handler["ansible.builtin.systemd_service"]["state"] == "reloaded"
    role_vars = load(ANSIBLE / "roles" / "hub" / "vars" / "main.yml")
    for units in role_vars["hub_routes_units"].values():
        for unit in units:
            assert unit_directives(SYSTEMD / unit)["ExecReload"] == ["/bin/kill -HUP $MAINPID"]


def test_group_vars_routes_pass_routes_check(tmp_path: Path) -> None:
    """The routing table kept in the inventory is valid."""
    group_vars = load(ANSIBLE / "group_vars" / "hub" / "vars.yml")
    routes = tmp_path / "routes.yaml"
    routes.write_text(yaml.safe_dump(group_vars["hub_routes"], sort_keys=False))
    run(tool("hub"), "routes", "check", routes)


# --- systemd -------------------------------------------------------------------------------------


@pytest.fixture
def runnable_units(tmp_path: Path) -> Path:
    """The unit files, with ExecStart pointed at this venv's hub, since /opt/hub is not here."""
    for unit in [*SYSTEMD.glob("*.service"), SYSTEMD / "hub.target"]:
        text = unit.read_text().replace("/opt/hub/venv/bin/hub", str(VENV_BIN / "hub"))
        (tmp_path / unit.name).write_text(text)
    return tmp_path


@pytest.mark.parametrize("unit", [*UNIT_FILES, "hub.target"])
def test_systemd_unit_verifies_cleanly(runnable_units: Path, unit: str) -> None:
    """systemd-analyze verify reports nothing at all for the unit."""
    out = run(tool("systemd-analyze"), "verify", runnable_units / unit, cwd=runnable_units)
    assert out == ""


@pytest.mark.parametrize("unit", UNIT_FILES)
def test_systemd_unit_is_hardened(runnable_units: Path, unit: str) -> None:
    """The unit scores at most 2.5 on systemd's exposure scale, and writes only HUB_DATA_DIR."""
    run(
        tool("systemd-analyze"),
        "security",
        "--offline=true",
        "--threshold=25",
        runnable_units / unit,
        cwd=runnable_units,
    )
    directives = unit_directives(SYSTEMD / unit)
    assert directives["NoNewPrivileges"] == ["yes"]
    assert directives["ProtectSystem"] == ["strict"]
    env = dict(item.split("=", 1) for line in directives["Environment"] for item in line.split())
    assert directives["ReadWritePaths"] == [env["HUB_DATA_DIR"]]


# --- the commands, probes and grace periods every path shares -------------------------------------


def deployed_commands() -> dict[str, list[str]]:
    """Each deploy path's command line, by where it is written."""
    entrypoint = image_entrypoint()
    (cmd,) = dockerfile_instructions("CMD")
    commands = {"Dockerfile": entrypoint + list(cmd.value)}
    for name, service in compose_hub_services().items():
        commands[f"compose {name}"] = entrypoint + service["command"]
    for stage, deployment in deployments().items():
        container = hub_container(deployment)
        commands[f"k8s {stage}"] = container["command"] + container["args"]
    for unit in UNIT_FILES:
        (exec_start,) = unit_directives(SYSTEMD / unit)["ExecStart"]
        commands[f"systemd {unit}"] = shlex.split(exec_start)
    return commands


def test_every_deploy_path_runs_a_hub_stage() -> None:
    """Image, compose, Kubernetes and systemd all run `hub run|receiver|router|deliverer`."""
    assert set(COMMANDS) <= set(cli_main.commands)
    commands = deployed_commands()
    for where, argv in commands.items():
        assert_stage_command(where, argv)
    for path in ("compose", "k8s", "systemd"):
        stages = {argv[1] for where, argv in commands.items() if where.startswith(path)}
        assert set(STAGES) <= stages, f"{path} does not run every stage"


@pytest.mark.parametrize("command", COMMANDS)
def test_stage_command_help_exits_zero(command: str) -> None:
    """`hub <stage> --help`, as the image and units call it, exits 0."""
    assert f"Usage: hub {command}" in run(tool("hub"), command, "--help")


async def test_image_healthcheck_asks_healthz_on_the_ops_port() -> None:
    """The HEALTHCHECK command passes while /healthz answers on HUB_OPS_LISTEN, fails after."""
    (healthcheck,) = dockerfile_instructions("HEALTHCHECK")
    kind, program, *args = healthcheck.value
    assert (kind, program) == ("CMD", "python")
    app = web.Application()
    app.router.add_get("/healthz", healthz)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    env = {**os.environ, "HUB_OPS_LISTEN": f"0.0.0.0:{port}"}

    async def exit_code() -> int:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, *args, env=env, stderr=asyncio.subprocess.DEVNULL
        )
        return await proc.wait()

    try:
        assert await exit_code() == 0
    finally:
        await runner.cleanup()
    assert await exit_code() != 0


def test_probes_hit_healthz_and_readyz_on_the_right_ports() -> None:
    """/healthz on either port, /readyz only on the ops port; liveness always on the ops port."""
    image_env = {
        k: v
        for c in dockerfile_instructions("ENV")
        for k, v in zip(c.value[::2], c.value[1::2], strict=True)
    }
    assert image_env["HUB_OPS_LISTEN"] == f"0.0.0.0:{OPS_PORT}"
    assert image_env["HUB_LISTEN"] == f"0.0.0.0:{WEBHOOK_PORT}"
    for stage, deployment in deployments().items():
        container = hub_container(deployment)
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        assert ports["ops"] == OPS_PORT, stage
        probes = {k: v["httpGet"] for k, v in container.items() if k.endswith("Probe")}
        assert probes["livenessProbe"] == {"path": "/healthz", "port": "ops"}, stage
        for kind, probe in probes.items():
            assert probe["path"] in ("/healthz", "/readyz"), f"{stage} {kind}"
            if probe["path"] == "/readyz":
                assert ports[probe["port"]] == OPS_PORT, f"{stage} {kind}"
        readiness = probes["readinessProbe"]
        if stage == "receiver":
            assert readiness["path"] == "/healthz"
            assert ports[readiness["port"]] == WEBHOOK_PORT
        else:
            assert readiness["path"] == "/readyz", stage
    config = k8s_config_env()
    assert config["HUB_OPS_LISTEN"] == f"0.0.0.0:{OPS_PORT}"
    assert config["HUB_LISTEN"] == f"0.0.0.0:{WEBHOOK_PORT}"
    haproxy = (DEPLOY / "haproxy" / "haproxy.cfg").read_text()
    assert "option httpchk GET /healthz" in haproxy
    assert f"receiver:{WEBHOOK_PORT} check" in haproxy
    for name, service in compose_hub_services().items():
        assert "healthcheck" not in service, f"{name} must keep the image's HEALTHCHECK"
        assert service["environment"]["HUB_OPS_LISTEN"] == f"0.0.0.0:{OPS_PORT}"


def test_stop_timeouts_exceed_the_shutdown_grace() -> None:
    """Kubernetes, compose and systemd all wait longer than HUB_SHUTDOWN_GRACE before SIGKILL."""
    for stage, deployment in deployments().items():
        pod = deployment["spec"]["template"]["spec"]
        assert pod["terminationGracePeriodSeconds"] > SHUTDOWN_GRACE_SECONDS, stage
    for name, service in compose_hub_services().items():
        assert seconds(service["stop_grace_period"]) > SHUTDOWN_GRACE_SECONDS, name
    for unit in UNIT_FILES:
        (timeout,) = unit_directives(SYSTEMD / unit)["TimeoutStopSec"]
        assert seconds(timeout) > SHUTDOWN_GRACE_SECONDS, unit
