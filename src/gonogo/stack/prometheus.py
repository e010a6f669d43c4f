"""Debian's ``prometheus`` beside the box, as a deployment has one: it scrapes the API through the balancer (the
backends share one multiprocess registry, so any of them answers for all) and the host's node-exporter. ``gonogo
stack up`` starts it when the binary is installed; ``gonogo watch`` and ``gonogo trend`` read it."""

from __future__ import annotations

import shutil
from pathlib import Path

BINARY = "prometheus"
JOB = "ai-model-api"  # the job label the local environment's queries select
SCRAPE_S = 2  # the box's windows are compressed (deploy.trigger_compression): its scrapes are frequent


def available() -> bool:
    return shutil.which(BINARY) is not None


def config(api_url: str, ca_bundle: str, node_exporter_url: str) -> str:
    api = api_url.removeprefix("https://")
    exporter = node_exporter_url.removeprefix("http://").removesuffix("/metrics")
    return f"""global: {{scrape_interval: {SCRAPE_S}s, evaluation_interval: {SCRAPE_S}s}}
scrape_configs:
  - job_name: {JOB}
    scheme: https
    tls_config: {{ca_file: "{ca_bundle}", server_name: localhost}}
    static_configs: [{{targets: ["{api}"]}}]
  - job_name: node-exporter
    static_configs: [{{targets: ["{exporter}"]}}]
"""


def command(config_file: Path, data: Path, port: int) -> list[str]:
    return [
        BINARY,
        f"--config.file={config_file}",
        f"--storage.tsdb.path={data}",
        "--storage.tsdb.retention.time=8d",
        f"--web.listen-address=127.0.0.1:{port}",
    ]
