"""What the smoke suite (tests/smoke) uses: the API client, the contract's conformance and drift, leak detection."""

from gonogo.contract import conformance, drift, objects
from gonogo.core.endpoints import endpoint_of
from gonogo.plugin.fixtures import check_credentials
from gonogo.target.client import ApiClient, LoginFailed
from gonogo.target.leaks import leaked

__all__ = ["ApiClient", "LoginFailed", "check_credentials", "conformance", "drift", "endpoint_of", "leaked", "objects"]
