"""One registry of what a test created on the target, removed on one path after it (last first), even when it fails.

Models and files go through the API (DELETE, with the role that may; what is still there afterwards fails the
smoke suite's cleanup check); evaluations, which the contract cannot
delete, through the database by id (gonogo.mongo.cleanup). Undo steps that are not an object (remove every
evaluation of the run's tag) are registered the same way.
"""

from __future__ import annotations

from collections.abc import Callable

from gonogo.config.environments import Environment
from gonogo.mongo.cleanup import remove_evaluations
from gonogo.target.client import ApiClient

API_DELETES = ("models", "files")


class CreatedObjects:
    def __init__(self, client: ApiClient, environment: Environment, tag: str) -> None:
        self.client, self.environment, self.tag = client, environment, tag
        self._steps: list[tuple[str, Callable[[], object]]] = []
        self._evaluations: list[str] = []

    def add(self, kind: str, object_id: str | None, role: str = "admin", index: int = 0) -> None:
        """``kind``: models, files or evaluations (the API's collection names)."""
        if not object_id:
            return
        if kind == "evaluations":
            self._evaluations.append(object_id)
        elif kind in API_DELETES:
            self._steps.append(
                (
                    f"delete {kind} {object_id}",
                    lambda: self.client.delete(f"/api/{kind}/{object_id}", role=role, index=index),
                )
            )
        else:
            raise ValueError(f"cannot remove '{kind}': one of models, files, evaluations")

    def add_response(self, path: str, body: dict, role: str, index: int = 0) -> None:
        """Whatever a POST to ``path`` created (its answer's id)."""
        kind = path.strip("/").split("/")[1] if path.startswith("/api/") else ""
        self.add(kind, (body or {}).get("id"), role, index)

    def add_step(self, what: str, step: Callable[[], object]) -> None:
        self._steps.append((what, step))

    def remove(self) -> list[str]:
        """Every undo run, last registered first; what failed, one line each (the rest is still undone)."""
        errors = []
        for what, step in reversed(self._steps):
            try:
                step()
            except Exception as exc:
                errors.append(f"{what}: {exc}")
        self._steps.clear()
        if self._evaluations:
            try:
                self._remove_evaluations()
            except Exception as exc:
                errors.append(f"{len(self._evaluations)} evaluations: {exc}")
            self._evaluations.clear()
        return errors

    def _remove_evaluations(self) -> None:
        if self.environment.mongo_url is None:
            raise RuntimeError("the contract has no DELETE for evaluations and the environment has no mongo_url")
        left = remove_evaluations(
            self.environment.mongo_url.get_secret_value(), self.environment.database, ids=self._evaluations
        )
        if left:
            raise RuntimeError(f"{left} still there")
