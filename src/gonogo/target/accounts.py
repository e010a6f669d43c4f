"""Test accounts handed out by purpose, so that no two checks share an account (rate limits are per account).

Each purpose gets accounts of its own, counted from the end of the role's list (the load suite takes accounts
from the start), and the same ones every time it asks. Asking for more than the role has is an error that names
the purpose and the fix.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


class AccountsExhausted(Exception):
    pass


class AccountAllocator:
    def __init__(self, accounts: Mapping[str, Sequence[object]], environment: str = "?") -> None:
        self._sizes = {role: len(items) for role, items in accounts.items()}
        self._environment = environment
        self._given: dict[tuple[str, str], list[int]] = {}
        self._used: dict[str, int] = {}  # per role: how many accounts from the end are given out

    def take(self, role: str, purpose: str, count: int = 1) -> list[int]:
        """The indexes (into the role's accounts) of ``count`` accounts for ``purpose``."""
        given = self._given.setdefault((role, purpose), [])
        missing = count - len(given)
        if missing > 0:
            size, used = self._sizes.get(role, 0), self._used.get(role, 0)
            if used + missing > size:
                taken = ", ".join(f"{p} ({len(i)})" for (r, p), i in self._given.items() if r == role and i) or "none"
                raise AccountsExhausted(
                    f"'{purpose}' needs {count} {role} account(s) of its own, but environment '{self._environment}' has "
                    f"{size} {role} account(s) and {used} are given out already (to: {taken}); add {role} accounts to its "
                    "accounts or accounts_file")
            given.extend(size - 1 - n for n in range(used, used + missing))
            self._used[role] = used + missing
        return given[:count]

    def one(self, role: str, purpose: str) -> int:
        return self.take(role, purpose)[0]
