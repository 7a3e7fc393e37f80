"""deploy/ checked without Docker: the files parse, Traefik's routers reach the right layer's service, every setting
the services are given exists, Prometheus scrapes every Stockyard process, and the Grafana dashboard only charts
series /metrics exposes."""

import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from stockyard.core.settings import Settings
from stockyard.web.app import LAYERS, create_app
from tests.deploy.yaml_subset import loads
from tests.web.test_layers import PROBES

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
RULE_PART = re.compile(r"^(Path|PathPrefix)\(`([^`]*)`\)$")


@pytest.fixture(scope="module")
def compose() -> dict:
    return loads((DEPLOY / "compose.yml").read_text())


@pytest.fixture(scope="module")
def services(compose: dict) -> dict[str, dict]:
    return compose["services"]


def stockyard_services(services: dict[str, dict]) -> dict[str, dict]:
    return {name: s for name, s in services.items() if str(s.get("image", "")).startswith("stockyard:")}


def layers_of(service: dict) -> list[str]:
    command = service["command"]
    return command[command.index("--only") + 1].split(",") if "--only" in command else []


def labels(service: dict) -> dict[str, str]:
    return dict(label.split("=", 1) for label in service.get("labels", []))


def routers(services: dict[str, dict]) -> dict[str, dict[str, str]]:
    """Every Traefik router of the compose labels: rule, priority, service, ... (and the compose service it is on)."""
    found: dict[str, dict[str, str]] = {}
    for name, service in services.items():
        for key, value in labels(service).items():
            parts = key.split(".")
            if parts[:3] == ["traefik", "http", "routers"]:
                found.setdefault(parts[3], {"on": name})[".".join(parts[4:])] = value
    return found


def test_every_deploy_yaml_file_parses() -> None:
    files = sorted(DEPLOY.rglob("*.yml"))
    assert {f.relative_to(DEPLOY).as_posix() for f in files} >= {
        "compose.yml", "traefik/traefik.yml", "prometheus/prometheus.yml",
        "grafana/provisioning/datasources/prometheus.yml", "grafana/provisioning/dashboards/stockyard.yml"}
    for file in files:
        assert isinstance(loads(file.read_text()), dict), file


def test_the_services_of_the_scale_out_profile(services: dict[str, dict]) -> None:
    ours = stockyard_services(services)
    assert {name: layers_of(s) for name, s in ours.items() if layers_of(s)} == {name: [name] for name in LAYERS}
    for name in LAYERS:
        assert ours[name]["deploy"]["replicas"] >= 1 and "--no-jobs" in ours[name]["command"]
        assert "/readyz" in " ".join(ours[name]["healthcheck"]["test"])
        assert ours[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert ours["worker"]["command"][0] == "worker" and "--metrics-port" in ours["worker"]["command"]
    assert ours["migrate"]["command"] == ["migrate"] and ours["migrate"]["build"]["context"] == ".."
    assert {"traefik", "postgres", "rabbitmq", "redis", "s3", "prometheus", "grafana"} <= set(services)


def test_every_router_targets_a_defined_service_of_its_container(services: dict[str, dict]) -> None:
    found = routers(services)
    assert set(LAYERS) <= set(found)
    for name, router in found.items():
        target = router["service"]
        assert f"traefik.http.services.{target}.loadbalancer.server.port" in labels(services[target]), name
        assert target == router["on"], f"router {name} sends to {target} but is declared on {router['on']}"
        for middleware in filter(None, router.get("middlewares", "").split(",")):
            assert any(key.startswith(f"traefik.http.middlewares.{middleware}.")
                       for s in services.values() for key in labels(s)), (name, middleware)
        assert labels(services[router["on"]])["traefik.enable"] == "true"


def route(services: dict[str, dict], path: str) -> str:
    """Which router Traefik picks for a path: the highest priority whose rule (Path/PathPrefix joined by ||)
    matches."""
    matching = []
    for name, router in routers(services).items():
        for part in router["rule"].split(" || "):
            kind, value = RULE_PART.match(part.strip()).groups()
            if path == value or (kind == "PathPrefix" and path.startswith(value)):
                matching.append((int(router.get("priority", "0")), name))
    assert matching, path
    (top, name), *rest = sorted(matching, reverse=True)
    assert not rest or rest[0][0] < top, f"{path}: routers {name} and {rest[0][1]} tie"
    return routers(services)[name]["service"]


def test_each_layers_paths_reach_that_layers_service(services: dict[str, dict]) -> None:
    for layer, paths in PROBES.items():
        for path in paths:
            assert layers_of(services[route(services, path)]) == [layer], path
    for path in ("/login", "/", "/my/orders", "/static/htmx/htmx.min.js", "/pay/test/ref"):
        assert route(services, path) == "storefront", path
    assert route(services, "/mobile-not-mobile") == "storefront"  # /m/ and /m only, not every /m...
    internal = routers(services)["internal"]
    assert route(services, "/metrics") == "storefront" and internal["middlewares"] == "internal-only"


def env_file(path: Path) -> dict[str, str]:
    pairs = [line.split("=", 1) for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")]
    return {key: value for key, value in pairs}


def test_every_setting_the_services_use_is_a_settings_field(services: dict[str, dict]) -> None:
    fields = set(Settings.model_fields)
    used: set[str] = set()
    for service in stockyard_services(services).values():
        assert service["env_file"] == ["stockyard.env"]
        used |= set(env_file(DEPLOY / "stockyard.env"))
        used |= set(service.get("environment") or {})
    stray = sorted(name for name in used if name.removeprefix("STOCKYARD_").lower() not in fields
                   or not name.startswith("STOCKYARD_"))
    assert not stray
    values = env_file(DEPLOY / "stockyard.env")
    assert values["STOCKYARD_DATABASE_URL"].startswith("postgresql+psycopg://")
    assert values["STOCKYARD_BROKER_URL"].startswith("amqp://") and values["STOCKYARD_REDIS_URL"].startswith("redis")
    Settings(**{k.removeprefix("STOCKYARD_").lower(): v for k, v in values.items()})  # the values validate too
    for host in ("postgres", "rabbitmq", "redis", "s3"):
        assert any(f"@{host}:" in v or f"//{host}:" in v for v in values.values()), host


def test_prometheus_scrapes_every_web_and_worker_process(services: dict[str, dict]) -> None:
    config = loads((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    targets: set[tuple[str, int]] = set()
    for job in config["scrape_configs"]:
        for sd in job.get("dns_sd_configs", []):
            targets |= {(name, sd["port"]) for name in sd["names"]}
    assert {(layer, 8000) for layer in LAYERS} | {("worker", 9100)} <= targets
    command = services["worker"]["command"]
    assert command[command.index("--metrics-port") + 1] == "9100"


def exposed_names(sqlite_engine) -> set[str]:  # noqa: ANN001
    client = TestClient(create_app(Settings(secret_key="test-secret"), sqlite_engine, run_jobs=False))
    client.get("/healthz")
    names: set[str] = set()
    for family in text_string_to_metric_families(client.get("/metrics").text):
        names.add(family.name)
        suffixes = {"counter": ["_total"], "histogram": ["_bucket", "_count", "_sum"]}.get(family.type, [])
        names |= {family.name + suffix for suffix in suffixes}
    return names


def test_the_dashboard_charts_only_series_metrics_exposes(sqlite_engine) -> None:  # noqa: ANN001
    dashboard = json.loads((DEPLOY / "grafana" / "dashboards" / "stockyard.json").read_text())
    queried = {name for panel in dashboard["panels"] for target in panel["targets"]
               for name in re.findall(r"\bstockyard_[a-z_]+", target["expr"])}
    exposed = exposed_names(sqlite_engine)
    assert queried and not queried - exposed, sorted(queried - exposed)
    must_chart = {"stockyard_http_requests_total", "stockyard_http_request_duration_seconds_bucket",
                  "stockyard_orders_placed_total", "stockyard_reservations_refused_total",
                  "stockyard_outbox_unpublished", "stockyard_outbox_oldest_unpublished_age_seconds",
                  "stockyard_consumer_failures_total", "stockyard_dead_letters", "stockyard_db_pool_checked_out",
                  "stockyard_db_pool_size", "stockyard_db_pool_overflow"}
    assert must_chart <= queried
    datasource = loads((DEPLOY / "grafana" / "provisioning" / "datasources" / "prometheus.yml").read_text())
    uid = datasource["datasources"][0]["uid"]
    assert all(panel["datasource"]["uid"] == uid for panel in dashboard["panels"])


def test_dockerfile_runs_stockyard_as_a_user_not_root() -> None:
    lines = [line.strip() for line in (ROOT / "Dockerfile").read_text().splitlines()]
    assert lines[[i for i, line in enumerate(lines) if line.startswith("FROM")][0]] == "FROM python:3.11-slim"
    users = [line for line in lines if line.startswith("USER ")]
    assert users and users[-1] != "USER root"
    assert any("pip install ." in line for line in lines)
    assert 'ENTRYPOINT ["stockyard"]' in lines
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    assert ".git" in ignored and ".venv" in ignored
