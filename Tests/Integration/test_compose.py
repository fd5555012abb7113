"""compose/ checked without a Docker engine: the files parse, everything referenced exists, ports
and credentials agree, engine property keys are documented ones, the dashboard's metrics exist,
and a real Prometheus scrapes a running Floe with compose/prometheus/prometheus.yml."""
import json
import os
import re
import shutil
import subprocess
import time

import pytest
import requests
import yaml

from floe_harness import free_port

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
COMPOSE = os.path.join(ROOT, "compose")

# Keys the engines document for an Iceberg REST catalog (Trino: Iceberg connector and native S3
# file system; Spark: Iceberg's Spark catalog and REST/S3FileIO catalog properties).
TRINO_KEYS = {
    "connector.name", "iceberg.catalog.type", "iceberg.rest-catalog.uri", "iceberg.rest-catalog.warehouse",
    "iceberg.rest-catalog.security", "iceberg.rest-catalog.oauth2.server-uri", "iceberg.rest-catalog.oauth2.credential",
    "iceberg.rest-catalog.oauth2.token", "iceberg.rest-catalog.oauth2.scope", "iceberg.rest-catalog.vended-credentials-enabled",
    "fs.native-s3.enabled", "s3.endpoint", "s3.region", "s3.path-style-access", "s3.aws-access-key", "s3.aws-secret-key",
}
SPARK_CATALOG_KEYS = {
    "", "type", "uri", "warehouse", "credential", "token", "oauth2-server-uri", "scope", "io-impl", "s3.endpoint",
    "s3.path-style-access", "s3.access-key-id", "s3.secret-access-key", "client.region", "header.X-Iceberg-Access-Delegation",
}
SPARK_KEYS = {"spark.jars.packages", "spark.sql.extensions", "spark.sql.defaultCatalog"}


def read(*parts):
    with open(os.path.join(COMPOSE, *parts)) as f:
        return f.read()


def env_example():
    values = {}
    for line in read(".env.example").splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def properties(text, separator="="):
    values = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if separator == "=":
            name, _, value = line.partition("=")
        else:
            parts = line.split(None, 1)
            name, value = parts[0], parts[1] if len(parts) > 1 else ""
        values[name.strip()] = value.strip()
    return values


@pytest.fixture(scope="module")
def stack():
    return yaml.safe_load(read("docker-compose.yml"))


def test_compose_file_parses_and_references_existing_files(stack):
    services = stack["services"]
    assert set(services) == {"postgres", "floe", "spark", "trino", "prometheus", "grafana", "nginx"}
    build = services["floe"]["build"]
    assert os.path.isfile(os.path.join(COMPOSE, build["context"], build["dockerfile"]))
    for name, service in services.items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert os.path.exists(os.path.join(COMPOSE, source)), f"{name}: {source} is missing"
            else:
                assert source in stack.get("volumes", {}), f"{name}: named volume {source} is not declared"
        for dependency in service.get("depends_on", []):
            assert dependency in services, f"{name} depends on unknown {dependency}"
    # Every ${VAR} the stack uses is defined in .env.example.
    used = set(re.findall(r"\$\{(\w+)\}", read("docker-compose.yml")))
    assert used <= set(env_example()), sorted(used - set(env_example()))


def test_dockerfile_builds_a_non_root_image_with_a_healthcheck():
    text = open(os.path.join(ROOT, "Dockerfile")).read()
    assert len(re.findall(r"^FROM ", text, re.M)) == 2, "multi-stage"
    assert re.search(r"^USER floe$", text, re.M) and "HEALTHCHECK" in text and "/floe/health/ready" in text
    assert re.search(r"^FROM debian:.*slim", text, re.M)
    # The build image's Swift must be at least the package's tools version.
    image = tuple(int(n) for n in re.search(r"^FROM swift:(\d+)\.(\d+)", text, re.M).groups())
    tools = tuple(int(n) for n in re.search(r"swift-tools-version:(\d+)\.(\d+)", open(os.path.join(ROOT, "Package.swift")).read()).groups())
    assert image >= tools, f"swift:{image} cannot build a package for tools {tools}"


def test_ports_and_credentials_agree(stack):
    env = env_example()
    floe = stack["services"]["floe"]
    s3_port = int(floe["environment"]["FLOE_S3_ADDRESS"].rsplit(":", 1)[1])
    catalog_port = int(floe["environment"]["FLOE_CATALOG_ADDRESS"].rsplit(":", 1)[1])
    assert f"${{FLOE_S3_PORT}}:{s3_port}" in floe["ports"] and f"${{FLOE_CATALOG_PORT}}:{catalog_port}" in floe["ports"]
    assert floe["environment"]["FLOE_PUBLIC_S3_URL"] == f"http://floe:{s3_port}"
    postgres = stack["services"]["postgres"]["environment"]
    assert floe["environment"]["FLOE_CATALOG_DB"] == "postgres://${POSTGRES_USER}:${POSTGRES_PASSWORD}@postgres:5432/${POSTGRES_DB}"
    assert postgres["POSTGRES_USER"] == "${POSTGRES_USER}"

    spark = properties(read("spark", "spark-defaults.conf"), separator=" ")
    catalog = "spark.sql.catalog.lakehouse"
    assert spark[f"{catalog}.uri"] == f"http://floe:{catalog_port}"
    assert spark[f"{catalog}.oauth2-server-uri"] == f"http://floe:{catalog_port}/v1/oauth/tokens"
    assert spark[f"{catalog}.s3.endpoint"] == f"http://floe:{s3_port}"
    assert spark[f"{catalog}.credential"] == f"{env['FLOE_ROOT_USER']}:{env['FLOE_ROOT_PASSWORD']}"
    assert spark[f"{catalog}.warehouse"] == "lakehouse"

    trino = properties(read("trino", "catalog", "lakehouse.properties"))
    assert trino["iceberg.rest-catalog.uri"] == f"http://floe:{catalog_port}"
    assert trino["iceberg.rest-catalog.oauth2.server-uri"] == f"http://floe:{catalog_port}/v1/oauth/tokens"
    assert trino["s3.endpoint"] == f"http://floe:{s3_port}"
    assert trino["iceberg.rest-catalog.oauth2.credential"] == "${ENV:FLOE_ROOT_USER}:${ENV:FLOE_ROOT_PASSWORD}"
    trino_env = stack["services"]["trino"]["environment"]
    assert trino_env["FLOE_ROOT_USER"] == "${FLOE_ROOT_USER}" and trino_env["FLOE_ROOT_PASSWORD"] == "${FLOE_ROOT_PASSWORD}"

    scrape = yaml.safe_load(read("prometheus", "prometheus.yml"))["scrape_configs"][0]
    assert scrape["metrics_path"] == "/floe/metrics" and scrape["static_configs"][0]["targets"] == [f"floe:{s3_port}"]

    nginx = read("nginx", "floe.conf")
    console_port = int(floe["environment"]["FLOE_CONSOLE_ADDRESS"].rsplit(":", 1)[1])
    assert f"${{FLOE_CONSOLE_PORT}}:{console_port}" in floe["ports"] and "FLOE_CONSOLE_PORT" in env
    assert floe["environment"]["FLOE_CONSOLE_S3_URL"] == "https://${FLOE_PUBLIC_HOST}:${NGINX_S3_TLS_PORT}"
    assert f"server floe:{s3_port};" in nginx and f"server floe:{catalog_port};" in nginx and f"server floe:{console_port};" in nginx
    published = stack["services"]["nginx"]["ports"]
    for listen in re.findall(r"listen (\d+) ssl;", nginx):
        assert any(p.endswith(":" + listen) for p in published), listen
    assert "client_max_body_size 0;" in nginx and "proxy_request_buffering off;" in nginx

    datasource = yaml.safe_load(read("grafana", "provisioning", "datasources", "prometheus.yml"))["datasources"][0]
    assert datasource["url"] == "http://prometheus:9090"
    dashboard = json.loads(read("grafana", "dashboards", "floe.json"))
    assert {p["datasource"]["uid"] for p in dashboard["panels"]} == {datasource["uid"]}
    provider = yaml.safe_load(read("grafana", "provisioning", "dashboards", "floe.yml"))["providers"][0]
    mounts = stack["services"]["grafana"]["volumes"]
    assert any(m.endswith(":" + provider["options"]["path"] + "/floe.json:ro") for m in mounts)


def test_engine_property_keys_are_documented():
    trino = properties(read("trino", "catalog", "lakehouse.properties"))
    assert set(trino) <= TRINO_KEYS, sorted(set(trino) - TRINO_KEYS)
    assert trino["connector.name"] == "iceberg" and trino["iceberg.catalog.type"] == "rest"
    spark = properties(read("spark", "spark-defaults.conf"), separator=" ")
    for key in spark:
        if key.startswith("spark.sql.catalog.lakehouse"):
            assert key[len("spark.sql.catalog.lakehouse"):].lstrip(".") in SPARK_CATALOG_KEYS, key
        else:
            assert key in SPARK_KEYS, key
    assert spark["spark.sql.catalog.lakehouse"] == "org.apache.iceberg.spark.SparkCatalog"
    assert spark["spark.sql.catalog.lakehouse.type"] == "rest"
    assert "iceberg-spark-runtime" in spark["spark.jars.packages"]


def test_prometheus_scrapes_floe_with_the_compose_config(server, tmp_path):
    binary = shutil.which("prometheus")
    assert binary, "prometheus is not installed (scripts/test.sh installs Debian's package)"
    # Some traffic, so the request counters exist.
    server.boto3().list_buckets()
    config = read("prometheus", "prometheus.yml").replace("floe:9000", f"127.0.0.1:{server.port}").replace("scrape_interval: 15s", "scrape_interval: 1s")
    (tmp_path / "prometheus.yml").write_text(config)
    port = free_port()
    process = subprocess.Popen(
        [binary, f"--config.file={tmp_path / 'prometheus.yml'}", f"--storage.tsdb.path={tmp_path / 'tsdb'}", f"--web.listen-address=127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        api = f"http://127.0.0.1:{port}/api/v1"
        deadline = time.time() + 60
        health = None
        while time.time() < deadline:
            try:
                targets = requests.get(f"{api}/targets", timeout=2).json()["data"]["activeTargets"]
                health = targets[0]["health"] if targets else None
                if health == "up":
                    result = requests.get(f"{api}/query", params={"query": "floe_s3_requests_total"}, timeout=2).json()["data"]["result"]
                    if result:
                        break
            except requests.RequestException:
                pass
            time.sleep(0.5)
        assert health == "up", f"target health {health}"
        assert targets[0]["labels"]["job"] == "floe"
        operations = {r["metric"]["operation"] for r in result}
        assert "ListBuckets" in operations
        # Every metric the Grafana dashboard charts is one Prometheus now has.
        dashboard = json.loads(read("grafana", "dashboards", "floe.json"))
        names = {name for panel in dashboard["panels"] for target in panel["targets"] for name in re.findall(r"\bfloe_[a-z0-9_]+", target["expr"])}
        for name in names:
            found = requests.get(f"{api}/query", params={"query": name}, timeout=2).json()["data"]["result"]
            assert found, f"the dashboard charts {name}, which Floe does not export"
    finally:
        process.terminate()
        process.wait(timeout=30)
