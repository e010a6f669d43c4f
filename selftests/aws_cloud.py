"""A staging-shaped AWS account on loopback, for S5/S6 read from the cloud's configuration.

- EC2 security groups, ElastiCache: moto's server (``ThreadedMotoServer``), set up the way the plan wants, or with
  one of the faults below;
- S3: the box's S3 server (``gonogo.stack.s3server``: moto with S3's rule for anonymous requests), with its faults;
- DocumentDB: moto does not serve it (``Engine 'docdb' is not supported``), so ``RecordedDocDB`` answers
  DescribeDBClusters / DescribeDBClusterParameters with recorded answers in the API's XML (selftests/data/docdb/):
  cluster ``docdb-staging`` (StorageEncrypted, parameter group tls=enabled) and ``docdb-unencrypted`` (neither).

boto3 is pointed at them with the standard variables (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_DOCDB, ...).
"""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
import urllib.request
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import yaml

from gonogo.core.processes import free_port

REGION = "ap-northeast-2"
RECORDED = Path(__file__).parent / "data" / "docdb"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "gonogo-selftest", "AWS_SECRET_ACCESS_KEY": "gonogo-selftest", "AWS_DEFAULT_REGION": REGION,
               "AWS_EC2_METADATA_DISABLED": "true"}
FAULTS = {  # what each breaks (docs/fault-matrix.md); the matrix's ``cloud`` section says which gate must catch it
    "ssh_open_to_world": "the backend security group also allows tcp 22 from 0.0.0.0/0 (S6: SSH not open to the world)",
    "mongo_open_to_world": "the db security group also allows tcp 27017 from 0.0.0.0/0 (S6: MongoDB only from the backends)",
    "cache_without_transit_encryption": "the ElastiCache replication group has no transit encryption and no AUTH token (S5: Redis TLS + AUTH)",
    "docdb_unencrypted": "the DocumentDB cluster is not storage-encrypted and its parameter group has tls disabled (S5)",
    "bucket_unencrypted": "the file bucket has no default encryption (S5: AES-256 at rest)",
}
S3_FAULTS = {"bucket_unencrypted"}  # served by the S3 server (gonogo.stack.s3server --faults), the rest by moto/recorded


class _DocDBHandler(BaseHTTPRequestHandler):
    def do_POST(self):  # the query protocol: Action=...&DBClusterIdentifier=...
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode()).items()}
        name = form.get("DBClusterIdentifier") or form.get("DBClusterParameterGroupName", "")
        path = RECORDED / f"{form.get('Action')}-{name}.xml"
        if path.is_file():
            status, body = 200, path.read_bytes()
        else:
            status, body = 404, (f'<ErrorResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><Error><Type>Sender</Type>'
                                 f'<Code>DBClusterNotFoundFault</Code><Message>DBCluster {name} not found.</Message></Error>'
                                 f'<RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>').encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@dataclass
class Cloud:
    endpoints: dict[str, str]  # AWS_ENDPOINT_URL... variables
    security_groups: dict[str, str]  # role -> id
    elasticache_group: str
    docdb_cluster: str
    bucket: str

    @property
    def env(self) -> dict[str, str]:
        return {**CREDENTIALS, **self.endpoints}

    def environments_yaml(self, product: Path, base_url: str, name: str = "staging") -> str:
        """The product's environments.yaml with ``name`` replaced by one that reads this account; ``base_url``: a
        stand-in entry point answering /health (the data-tier checks do not call it)."""
        doc = yaml.safe_load((product / "environments.yaml").read_text())
        doc["environments"][name] = {
            "description": "staging-shaped: AWS answers from moto and recorded DocumentDB answers",
            "base_url": base_url, "s3": {"bucket": self.bucket},
            "aws": {"region": REGION, "elasticache_group": self.elasticache_group, "docdb_cluster": self.docdb_cluster,
                    "security_groups": self.security_groups}}
        return yaml.safe_dump(doc, sort_keys=False)


def _security_groups(ec2, faults: set[str]) -> dict[str, str]:
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    ids = {role: ec2.create_security_group(GroupName=f"staging-{role}", Description=f"staging {role}", VpcId=vpc)["GroupId"]
           for role in ("alb", "backend", "db", "cache")}

    def allow(role: str, low: int, high: int, *, group: str | None = None, cidr: str | None = None) -> None:
        permission = {"IpProtocol": "tcp", "FromPort": low, "ToPort": high}
        permission.update({"UserIdGroupPairs": [{"GroupId": ids[group]}]} if group else {"IpRanges": [{"CidrIp": cidr}]})
        ec2.authorize_security_group_ingress(GroupId=ids[role], IpPermissions=[permission])

    allow("alb", 443, 443, cidr="0.0.0.0/0")
    allow("backend", 8000, 8002, group="alb")
    allow("backend", 22, 22, cidr="10.20.99.0/24")  # a bastion subnet: SSH, but not from the world
    allow("db", 27017, 27017, group="backend")
    allow("cache", 6379, 6379, group="backend")
    if "ssh_open_to_world" in faults:
        allow("backend", 22, 22, cidr="0.0.0.0/0")
    if "mongo_open_to_world" in faults:
        allow("db", 27017, 27017, cidr="0.0.0.0/0")
    return ids


def start(faults: set[str] = frozenset()) -> tuple[Cloud, callable]:
    """The account, and a function that stops its servers."""
    import boto3
    from moto.server import ThreadedMotoServer

    unknown = set(faults) - set(FAULTS)
    assert not unknown, f"unknown cloud faults {unknown}"
    moto_port, s3_port, docdb_port = free_port(), free_port(), free_port()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=moto_port, verbose=False)
    moto.start()
    urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{moto_port}/moto-api/reset", method="POST"), timeout=10)  # state is per process
    docdb = ThreadingHTTPServer(("127.0.0.1", docdb_port), _DocDBHandler)
    threading.Thread(target=docdb.serve_forever, daemon=True).start()
    ready = Path(f"/tmp/gonogo-s3-ready-{s3_port}.json")
    s3 = subprocess.Popen([sys.executable, "-m", "gonogo.stack.s3server", "--port", str(s3_port), "--bucket", "staging-ai-model-files",
                           "--ready", str(ready), "--faults", ",".join(sorted(set(faults) & S3_FAULTS))], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop() -> None:
        s3.terminate()
        s3.wait(10)
        ready.unlink(missing_ok=True)
        docdb.shutdown()
        moto.stop()

    try:
        options = {"endpoint_url": f"http://127.0.0.1:{moto_port}", "region_name": REGION,
                   "aws_access_key_id": "setup", "aws_secret_access_key": "setup"}
        groups = _security_groups(boto3.client("ec2", **options), set(faults))
        boto3.client("elasticache", **options).create_replication_group(
            ReplicationGroupId="redis-staging", ReplicationGroupDescription="staging cache", Engine="redis",
            CacheNodeType="cache.t3.micro", AtRestEncryptionEnabled=True,
            **({} if "cache_without_transit_encryption" in faults else {"TransitEncryptionEnabled": True, "AuthToken": "x" * 32}))
        deadline = time.monotonic() + 30
        while not ready.exists():
            assert s3.poll() is None and time.monotonic() < deadline, "the S3 server did not start"
            time.sleep(0.1)
        boto3.client("s3", **{**options, "endpoint_url": f"http://127.0.0.1:{s3_port}"}).put_object(
            Bucket="staging-ai-model-files", Key="results/run-1.csv", Body=b"a,b\n1,2\n")
    except BaseException:
        stop()
        raise
    cloud = Cloud(endpoints={"AWS_ENDPOINT_URL": f"http://127.0.0.1:{moto_port}", "AWS_ENDPOINT_URL_S3": f"http://127.0.0.1:{s3_port}",
                             "AWS_ENDPOINT_URL_DOCDB": f"http://127.0.0.1:{docdb_port}"},
                  security_groups=groups, elasticache_group="redis-staging",
                  docdb_cluster="docdb-unencrypted" if "docdb_unencrypted" in faults else "docdb-staging",
                  bucket="staging-ai-model-files")
    return cloud, stop
