"""The test accounts an environment gives gonogo, per role: written in environments.yaml, or in the accounts file
a deployment (the local box) writes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import SecretStr

from gonogo.config.settings.base import Strict

if TYPE_CHECKING:
    from gonogo.config.environments import Environment

ROLES = ("admin", "evaluator", "viewer")


class Account(Strict):
    email: str
    password: SecretStr


class AccountsError(ValueError):
    pass


def load_accounts(environment: Environment) -> dict[str, list[Account]]:
    """Accounts per role: the ones in environments.yaml plus those in ``accounts_file``."""
    accounts: dict[str, list[Account]] = {role: list(items) for role, items in environment.accounts.items()}
    if environment.accounts_file:
        path = Path(environment.accounts_file)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            hint = " (the local box writes it when it boots)" if environment.embedded_stack else ""
            raise AccountsError(f"accounts file {path} of environment '{environment.name}' not found{hint}") from None
        except (OSError, ValueError) as exc:
            raise AccountsError(f"accounts file {path} cannot be read: {exc}") from None
        for role, items in data.items():
            if role not in ROLES:
                raise AccountsError(f"accounts file {path}: unknown role '{role}'; roles: {', '.join(ROLES)}")
            accounts.setdefault(role, []).extend(Account(email=i["email"], password=i["password"]) for i in items)
    return accounts
