"""HTTP access to the target for the suites: TLS with the environment's CA, tokens per
account, and every request's latency and outcome recorded into the metrics store."""

from __future__ import annotations

import ssl
import time
from collections.abc import Mapping

import httpx

from gonogo.config.accounts import Account
from gonogo.config.environments import Environment
from gonogo.core.endpoints import endpoint_of
from gonogo.core.store import MetricsStore
from gonogo.target.accounts import AccountUses
from gonogo.target.tokens import Login, TokenStore


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
        tokens: TokenStore | None = None,
    ):
        self.environment = environment
        self.store = store
        self.suite = suite
        self.accounts = dict(accounts or {})
        self.timeout = timeout
        self.http = httpx.Client(
            base_url=environment.base_url, verify=ssl_context(environment), timeout=timeout, trust_env=False
        )
        # one login per account for the run (shared by every suite's client), paced inside the login limit
        self.tokens = tokens or TokenStore(environment.login_per_minute)
        self.uses = uses or AccountUses()  # when each account last sent an authenticated request

    def close(self) -> None:
        self.http.close()

    # -- requests -----------------------------------------------------------------
    def request(
        self, method: str, path: str, *, role: str | None = None, index: int = 0, token: str | None = None, **kwargs
    ) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}) or {})
        held = token is None and role is not None  # the run's token of that account: renewed once if refused
        if held:
            token = self.token(role or "", index)
            self.uses.mark(self.account(role or "", index).email)
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        response = self._send(method, path, headers, kwargs)
        if held and response.status_code == 401 and token is not None:  # expired or revoked: one new login, once
            self.tokens.refused(self.account(role or "", index).email, token)
            headers["Authorization"] = f"Bearer {self.token(role or '', index)}"
            response = self._send(method, path, headers, kwargs)
        return response

    def _send(self, method: str, path: str, headers: dict, kwargs: dict) -> httpx.Response:
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
        return self.tokens.token(account.email, lambda: self.login(account, role))

    def login(self, account: Account, role: str = "?") -> Login:
        """A token for ``account``; a clear error naming it when its credentials are refused. A 429 (the login
        limit) waits its Retry-After, said once; a 5xx is tried again (the server's fault, not the credentials')."""
        for attempt in range(LOGIN_ATTEMPTS):
            response = self.post(
                "/api/auth/login", json={"email": account.email, "password": account.password.get_secret_value()}
            )
            if response.status_code == 429 and attempt + 1 < LOGIN_ATTEMPTS:
                wait = _retry_after(response)
                self.tokens.said_once(
                    f"429:{account.email}",
                    f"gonogo: the login of '{account.email}' answered 429 (the login limit): waiting {wait:.0f} s "
                    "as its Retry-After says",
                )
                time.sleep(wait)
                continue
            if response.status_code < 500:
                break
            time.sleep(0.2 * (attempt + 1))
        if response.status_code == 200:
            body = response.json()
            expires = body.get("expires_in") if isinstance(body, dict) else None
            if isinstance(expires, bool) or not isinstance(expires, int | float) or expires <= 0:
                expires = None  # the contract's int, or none the run can plan with: renewed when refused
            return Login(body["access_token"], None if expires is None else float(expires))
        detail = _detail(response)
        if response.status_code in (401, 403):
            raise LoginFailed(
                f"login refused for account '{account.email}' (role {role}) of environment "
                f"'{self.environment.name}': {response.status_code} {detail}. Check that account's email and password.",
                refused=True,
            )
        raise LoginFailed(f"login for account '{account.email}' (role {role}) answered {response.status_code} {detail}")


LOGIN_ATTEMPTS = 3
LONGEST_RETRY_AFTER_S = 65.0  # the login limit's window and a little: a longer Retry-After is not waited out


def _retry_after(response: httpx.Response) -> float:
    try:
        seconds = float(response.headers.get("retry-after", "1"))
    except ValueError:  # an HTTP date, or nonsense: a window's worth
        seconds = 60.0
    return min(max(seconds, 1.0), LONGEST_RETRY_AFTER_S)


def _detail(response: httpx.Response) -> str:
    try:
        return str(response.json().get("detail", ""))[:200]
    except ValueError:
        return response.text[:200]
