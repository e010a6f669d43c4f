"""MongoDB documents -> contract JSON (string ids, ISO 8601 UTC times)."""

from __future__ import annotations

from datetime import datetime, timezone


def iso(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


NAMED_MODEL = {"_id", "name", "provider", "version", "status", "description", "created_at", "created_by"}


def model(doc: dict) -> dict:
    # what else the document holds shows only where the fault mass_assignment stored it (schemas.Model drops it else)
    extra = {k: v for k, v in doc.items() if k not in NAMED_MODEL}
    return extra | {"id": str(doc["_id"]), "name": doc["name"], "provider": doc["provider"], "version": doc["version"],
            "status": doc["status"], "description": doc.get("description", ""), "created_at": iso(doc["created_at"])}


def evaluation(doc: dict) -> dict:
    return {"id": str(doc["_id"]), "user_id": str(doc["user_id"]), "model_id": str(doc["model_id"]),
            "dataset": doc["dataset"], "status": doc["status"], "metrics": doc.get("metrics", {}),
            "created_at": iso(doc["created_at"])}


def file(doc: dict) -> dict:
    return {"id": str(doc["_id"]), "user_id": str(doc["user_id"]), "filename": doc["filename"], "size": doc["size"],
            "content_type": doc["content_type"], "sha256": doc["sha256"], "upload_status": doc["upload_status"],
            "created_at": iso(doc["created_at"])}
