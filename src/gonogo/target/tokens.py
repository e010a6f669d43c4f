"""One login per account for the whole run: every check of every suite shares the account's token until it nears its
``expires_in`` or is refused, and logins are paced inside the contract's login limit (5 a minute per client IP and
email; the environment's ``login_per_minute``). A target that keeps that limit is never pushed past it by gonogo."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

WINDOW_S = 60.0  # the login limit's window
REFRESH_BEFORE_S = 30.0  # a token this close to its expiry is renewed before it is used


@dataclass(frozen=True)
class Login:
    token: str
    expires_in: float | None  # seconds, as the login answered (the contract's expires_in)


class TokenStore:
    def __init__(
        self,
        per_minute: int = 5,
        *,
        say: Callable[[str], None] = lambda line: None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.per_minute, self.say, self.clock, self.sleep = per_minute, say, clock, sleep
        self._tokens: dict[str, tuple[str, float | None]] = {}  # email: (token, when to renew it)
        self._logins: dict[str, deque[float]] = {}  # email: when it logged in, over the last window
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        self._said: set[str] = set()
        self.logins = 0  # how many logins the run sent (all accounts)

    def token(self, email: str, login: Callable[[], Login]) -> str:
        """The account's token: the one the run holds, else one login (paced inside the login limit)."""
        with self._lock(email):
            held = self._tokens.get(email)
            if held is not None and (held[1] is None or self.clock() < held[1]):
                return held[0]
            self._pace(email)
            answer = login()
            self.logins += 1
            self._logins.setdefault(email, deque()).append(self.clock())
            renew = None if answer.expires_in is None else self.clock() + max(0.0, answer.expires_in - REFRESH_BEFORE_S)
            self._tokens[email] = (answer.token, renew)
            return answer.token

    def refused(self, email: str, token: str) -> None:
        """The target refused ``token`` (401): the next ``token`` logs in once again (not once per check)."""
        with self._lock(email):
            if self._tokens.get(email, ("",))[0] == token:
                del self._tokens[email]

    def logins_of(self, email: str) -> int:
        return len(self._logins.get(email, ()))

    def _pace(self, email: str) -> None:
        recent = self._logins.setdefault(email, deque())
        while recent and self.clock() - recent[0] >= WINDOW_S:
            recent.popleft()
        if len(recent) >= self.per_minute:
            wait = WINDOW_S - (self.clock() - recent[0])
            self._once(
                email,
                f"gonogo: account '{email}' logged in {len(recent)} times this minute (the login limit):"
                f" waiting {wait:.0f} s",
            )
            self.sleep(wait)

    def said_once(self, key: str, line: str) -> None:
        """Say ``line`` the first time ``key`` comes up in the run."""
        self._once(key, line)

    def _once(self, key: str, line: str) -> None:
        if key not in self._said:
            self._said.add(key)
            self.say(line)

    def _lock(self, email: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(email, threading.Lock())
