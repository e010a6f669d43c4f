"""Test accounts: the checks' own, reserved before the load starts, and the rest, which the load and any
spread-out traffic share (rate limits are per account, so a check's burst must not count the load's requests).

Each check declares what it needs (``Need``: a purpose, the roles that would do, how many); ``reserve`` gives
every purpose accounts from the end of a role's list, a purpose that accepts several roles the one with the most
accounts to spare beyond what the load needs of that role. The load takes only what no purpose holds; when that is
fewer accounts than its users, they share (``for_load`` says so). ``AccountUses`` keeps when each account last
sent an authenticated request, so that a burst can start in a window its account has sent nothing in.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

A = TypeVar("A")


class AccountsExhausted(Exception):
    pass


@dataclass(frozen=True)
class Need:
    purpose: str
    roles: tuple[str, ...]  # in order of preference; one role: that role only
    count: int = 1


@dataclass(frozen=True)
class Reserved:
    role: str
    indexes: tuple[int, ...]

    @property
    def index(self) -> int:
        return self.indexes[0]


@dataclass
class LoadAccounts(Generic[A]):
    accounts: dict[str, list[A]]
    notes: list[str] = field(default_factory=list)  # where the load's users share accounts, and why


class AccountAllocator:
    def __init__(
        self,
        accounts: Mapping[str, Sequence[object]],
        environment: str = "?",
        load_users: Mapping[str, int] | None = None,
        load_needs: Mapping[str, int] | None = None,
    ) -> None:
        self._sizes = {role: len(items) for role, items in accounts.items()}
        self._environment = environment
        self._load_users = dict(load_users or {})
        # the accounts the load needs to stay inside the per-user limits (gonogo.loadgen.budget): its users share
        # accounts, so a check takes from the role with the most to spare beyond these, not beyond the users
        self._load_needs = dict(load_needs if load_needs is not None else self._load_users)
        self._given: dict[str, Reserved] = {}
        self._needs: dict[str, Need] = {}
        self._used: dict[str, int] = {}  # per role: how many accounts from the end are given out

    # -- the checks' own -----------------------------------------------------------
    def reserve(self, needs: Iterable[Need]) -> None:
        """Give every need its accounts now (before the load): single-role needs first, then the others."""
        for need in sorted(set(needs), key=lambda n: (len(n.roles) > 1, n.purpose)):
            self._needs.setdefault(need.purpose, need)
            with contextlib.suppress(AccountsExhausted):  # said to the check that needs them, when it asks
                self._give(need)

    def take(self, purpose: str) -> Reserved:
        """The accounts of a declared ``purpose``; AccountsExhausted (naming the fix) when there are too few."""
        need = self._needs.get(purpose)
        if need is None:
            raise KeyError(purpose)
        return self._given.get(purpose) or self._give(need)

    def _spare(self, role: str) -> int:
        return self._sizes.get(role, 0) - self._used.get(role, 0) - self._load_needs.get(role, 0)

    def _give(self, need: Need) -> Reserved:
        if need.purpose in self._given:
            return self._given[need.purpose]
        role = max(
            need.roles,
            key=lambda r: (
                self._used.get(r, 0) + need.count <= self._sizes.get(r, 0),
                self._spare(r),
                -need.roles.index(r),
            ),
        )
        size, used = self._sizes.get(role, 0), self._used.get(role, 0)
        if used + need.count > size:
            taken = ", ".join(f"{p} ({len(r.indexes)})" for p, r in self._given.items() if r.role == role) or "none"
            raise AccountsExhausted(
                f"'{need.purpose}' needs {need.count} {' or '.join(need.roles)} account(s) of its own, but environment "
                f"'{self._environment}' has {size} {role} account(s) and {used} are given out already (to: {taken}); "
                f"add {role} accounts to its accounts or accounts_file"
            )
        self._used[role] = used + need.count
        self._given[need.purpose] = Reserved(role, tuple(size - 1 - n for n in range(used, used + need.count)))
        return self._given[need.purpose]

    # -- the rest, shared ------------------------------------------------------------
    def shared(self, role: str) -> list[int]:
        """The indexes of ``role``'s accounts no purpose holds (all of them when purposes hold every one)."""
        size = self._sizes.get(role, 0)
        free = list(range(size - self._used.get(role, 0)))
        return free or list(range(size))

    def for_load(self, accounts: Mapping[str, Sequence[A]]) -> LoadAccounts[A]:
        """The accounts the load may log in with: none a check holds. Fewer accounts than users: they share."""
        out = LoadAccounts({role: [items[i] for i in self.shared(role)] for role, items in accounts.items()})
        for role, items in out.accounts.items():
            users, held = self._load_users.get(role, 0), self._used.get(role, 0)
            if held >= len(accounts[role]) and users:
                out.notes.append(
                    f"{role}: every account is held by a check, so the load's {users} {role} users share all "
                    f"{len(items)} with them (add {role} accounts)"
                )
            elif users > len(items):
                out.notes.append(f"{role}: {users} users share {len(items)} accounts ({held} kept for the checks)")
        return out


class AccountUses:
    """When each account (by email) last sent an authenticated request, as far as this run knows."""

    def __init__(self, clock=time.time) -> None:
        self._clock = clock
        self._last: dict[str, float] = {}

    def mark(self, email: str, at: float | None = None) -> None:
        self._last[email] = max(self._last.get(email, 0.0), self._clock() if at is None else at)

    def last(self, email: str) -> float | None:
        return self._last.get(email)
