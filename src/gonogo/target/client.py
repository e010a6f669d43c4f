"""HTTP access to the target for the suites: TLS with the environment's CA, tokens per
account, and every request's latency and outcome recorded into the metrics store."""

from __future__ import annotations

import ssl
import time
from collections.abc import Mapping

import httpx

from gonogo.config.environments import Account, Environment
from gonogo.core.endpoints import endpoint_of
from gonogo.core.store import MetricsStore
from gonogo.target.accounts import AccountUses


class LoginFailed(Exception):
    def __init__(self, message: str, refused: bool = False):
        super().__init__(message)
        self.refused = refused  # the credentials were refused (401/403), not a server failure


def ssl_context(environment: Environment) -> ssl.SSLContext | bool:
    if not environment.verify_tls:
        return False
    return (
        ssl.create_default_context(cafile=environment.ca_bundle)
        if environment.ca_bundle
        else ssl.create_default_context()
    )


class ApiClient:
    """One suite's view of the target. ``suite`` names the metrics it records (smoke.http_latency...)."""

    def __init__(
        self,
        environment: Environment,
        store: MetricsStore,
        suite: str,
        accounts: Mapping[str, list[Account]] | None = None,
        timeout: float = 15.0,
        uses: AccountUses | None = None,
    ):
        self.environment = environment
        self.store = store
        self.suite = suite
        self.accounts = dict(accounts or {})
        self.timeout = timeout
        self.http = httpx.Client(
            base_url=environment.base_url, verify=ssl_context(environment), timeout=timeout, trust_env=False
        )
        self._tokens: dict[str, str] = {}
        self.uses = uses or AccountUses()  # when each account last sent an authenticated request

    def close(self) -> None:
        self.http.close()

    # -- requests -----------------------------------------------------------------
    def request(
        self, method: str, path: str, *, role: str | None = None, index: int = 0, token: str | None = None, **kwargs
    ) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}) or {})
        if token is None and role is not None:
            token = self.token(role, index)
            self.uses.mark(self.account(role, index).email)
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        endpoint = endpoint_of(method, path)
        start = time.perf_counter()
        try:
            response = self.http.request(method, path, headers=headers, **kwargs)
        except httpx.TransportError:
            self.record(endpoint, "error", time.perf_counter() - start, failed=True)
            raise
        self.record(
            endpoint, str(response.status_code), time.perf_counter() - start, failed=response.status_code >= 500
        )
        return response

    def record(self, endpoint: str, status: str, seconds: float, failed: bool) -> None:
        """Count one request of this suite (also for requests sent by another client, e.g. Schemathesis)."""
        self.store.record_latency(f"{self.suite}.http_latency", seconds, endpoint=endpoint, status=status)
        self.store.ratio(f"{self.suite}.http_errors", failed, endpoint=endpoint)

    def get(self, path: str, **kwargs) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs) -> httpx.Response:
        return self.request("POST", path, **kwargs)

    def patch(self, path: str, **kwargs) -> httpx.Response:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs) -> httpx.Response:
        return self.request("DELETE", path, **kwargs)

    # -- accounts -----------------------------------------------------------------
    def account(self, role: str, index: int = 0) -> Account:
        accounts = self.accounts.get(role) or []
        if not accounts:
            raise LoginFailed(
                f"environment '{self.environment.name}' has no '{role}' account; add one under accounts.{role}"
            )
        return accounts[index % len(accounts)]

    def last_use(self, role: str, index: int = 0) -> float | None:
        """When that account last sent an authenticated request in this run (None: never)."""
        return self.uses.last(self.account(role, index).email)

    def token(self, role: str, index: int = 0) -> str:
        account = self.account(role, index)
        if account.email not in self._tokens:
            self._tokens[account.email] = self.login(account, role)
        return self._tokens[account.email]

    def login(self, account: Account, role: str = "?") -> str:
        """A token for ``account``; a clear error naming it when its credentials are refused."""
        for attempt in range(3):  # a 5xx is the server's fault, not the credentials'
            response = self.post(
                "/api/auth/login", json={"email": account.email, "password": account.password.get_secret_value()}
            )
            if response.status_code < 500:
                break
            time.sleep(0.2 * (attempt + 1))
        if response.status_code == 200:
            return response.json()["access_token"]
        detail = _detail(response)
        if response.status_code in (401, 403):
            raise LoginFailed(
                f"login refused for account '{account.email}' (role {role}) of environment "
                f"'{self.environment.name}': {response.status_code} {detail}. Check that account's email and password.",
                refused=True,
            )
        raise LoginFailed(f"login for account '{account.email}' (role {role}) answered {response.status_code} {detail}")


def _detail(response: httpx.Response) -> str:
    try:
        return str(response.json().get("detail", ""))[:200]
    except ValueError:
        return response.text[:200]
