"""What the security suite (tests/security) uses: the scanners and rule readers, each judged through ``checks``."""

from gonogo.contract import objects
from gonogo.core.findings import Severity
from gonogo.core.requirements import S1_HEADERS, S2_PER_MINUTE
from gonogo.security import authz, cloud_config, datatier, file_storage, jwt_attacks, network, tls_scan, zap
from gonogo.security.deps.scan import scan as scan_dependencies
from gonogo.security.fuzzing import Outcomes
from gonogo.security.imagescan import scan_all as scan_images
from gonogo.security.jwt_keys import public_key, served_key_set
from gonogo.target.bursts import burst, wait_for_a_clean_window
from gonogo.target.client import ApiClient
from gonogo.target.leaks import leaked

__all__ = [
    "S1_HEADERS",
    "S2_PER_MINUTE",
    "ApiClient",
    "Outcomes",
    "Severity",
    "authz",
    "burst",
    "cloud_config",
    "datatier",
    "file_storage",
    "jwt_attacks",
    "leaked",
    "network",
    "objects",
    "public_key",
    "scan_dependencies",
    "scan_images",
    "served_key_set",
    "tls_scan",
    "wait_for_a_clean_window",
    "zap",
]
