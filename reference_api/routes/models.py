from __future__ import annotations

import time
from datetime import datetime, timezone

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from pymongo import ReturnDocument

from ..schemas import Model, ModelCreate, ModelList, ModelPatch, ModelStatus
from ..security import User
from ..services import caller, services
from . import convert

router = APIRouter(prefix="/api/models", tags=["models"])
SCOPE = "cache:models"
SLOW_S = 1.2  # the fault slow_models


def _slow(request: Request) -> None:
    if services(request).fault("slow_models"):
        time.sleep(SLOW_S)


@router.get("", response_model=ModelList)
def list_models(request: Request, provider: str | None = Query(None, max_length=100), status: ModelStatus | None = None,
                limit: int = Query(20, ge=1, le=100), offset: int = Query(0, ge=0, le=100_000),
                user: User = Depends(caller("models"))):
    svc = services(request)
    _slow(request)
    query = {k: v for k, v in (("provider", provider), ("status", status)) if v is not None}

    def fetch():
        docs = list(svc.db.models.find(query).sort("created_at", -1).skip(offset).limit(limit))
        return {"items": [convert.model(d) for d in docs], "total": svc.db.models.count_documents(query)}

    return svc.cache.get_or_compute(SCOPE, f"list:{provider}:{status}:{limit}:{offset}", fetch)


@router.get("/{model_id}", response_model=Model)
def get_model(model_id: str, request: Request, user: User = Depends(caller("models"))):
    svc = services(request)
    _slow(request)
    oid = svc.oid(model_id)

    def fetch():
        doc = svc.db.models.find_one({"_id": oid}) if oid else None
        return convert.model(doc) if doc else {}  # {} caches "not found" too

    result = svc.cache.get_or_compute(SCOPE, f"id:{model_id}", fetch)
    if not result:
        raise HTTPException(404, "model not found")
    return result


INDEX_KEY_LIMIT = 1024  # the fault long_name_500: the bytes of a name the store's unique index takes


def _index_key(svc, name: str | None) -> None:
    if name is not None and svc.fault("long_name_500") and len(name.encode()) > INDEX_KEY_LIMIT:
        raise RuntimeError(f"index key too large: {len(name.encode())} bytes")  # unhandled: 500


@router.post("", response_model=Model, status_code=201)
def create_model(body: ModelCreate, request: Request, user: User = Depends(caller("models", roles=("admin",)))):
    svc = services(request)
    _index_key(svc, body.name)
    doc = {**body.model_dump(), "created_at": datetime.now(timezone.utc), "created_by": user.id}
    doc["_id"] = svc.db.models.insert_one(doc).inserted_id
    svc.cache.invalidate(SCOPE)
    return convert.model(doc)


@router.patch("/{model_id}", response_model=Model)
def update_model(model_id: str, body: ModelPatch, request: Request,
                 user: User = Depends(caller("models", roles=("admin", "evaluator")))):
    svc = services(request)
    if user.role != "admin" and not svc.fault("evaluator_patch_models"):
        raise HTTPException(403, f"role '{user.role}' may not do this")
    _index_key(svc, body.name)
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    if not changes:
        raise HTTPException(422, "nothing to update: give at least one of name, provider, version, status, description")
    oid = svc.oid(model_id)
    doc = svc.db.models.find_one_and_update({"_id": oid}, {"$set": changes}, return_document=ReturnDocument.AFTER) if oid else None
    if doc is None:
        raise HTTPException(404, "model not found")
    svc.cache.invalidate(SCOPE)
    return convert.model(doc)


@router.delete("/{model_id}", status_code=204)
def delete_model(model_id: str, request: Request, user: User = Depends(caller("models", roles=("admin",)))):
    svc = services(request)
    oid = svc.oid(model_id)
    if oid is None or svc.db.models.delete_one({"_id": oid}).deleted_count == 0:
        raise HTTPException(404, "model not found")
    svc.cache.invalidate(SCOPE)
    return Response(status_code=204)
