from __future__ import annotations

from datetime import datetime, timezone

from bson import ObjectId
from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pymongo import DESCENDING

from ..schemas import Evaluation, EvaluationCreate, EvaluationList, EvaluationStatus
from ..security import User
from ..services import caller, services
from . import convert

router = APIRouter(prefix="/api/evaluations", tags=["evaluations"])


def _scope(user: User) -> str:
    return "cache:evals:all" if user.role == "admin" else f"cache:evals:{user.id}"


@router.get("", response_model=EvaluationList)
def list_evaluations(request: Request, model_id: str | None = Query(None, max_length=64), status: EvaluationStatus | None = None,
                     limit: int = Query(20, ge=1, le=100), offset: int = Query(0, ge=0, le=100_000),
                     user: User = Depends(caller("evaluations"))):
    svc = services(request)
    query: dict = {} if user.role == "admin" else {"user_id": ObjectId(user.id)}
    if model_id is not None:
        oid = svc.oid(model_id)
        if oid is None:
            return {"items": [], "total": 0}
        if svc.fault("evaluations_filter_leak"):  # the filter replaces the owner condition
            query = {}
        query["model_id"] = oid
    if status is not None:
        query["status"] = status

    def fetch():
        found = svc.db.evaluations.find(query)
        if not (user.role == "admin" and svc.fault("admin_evaluations_unordered")):  # the fault: storage order
            found = found.sort("created_at", DESCENDING)
        docs = list(found.skip(offset).limit(limit))
        return {"items": [convert.evaluation(d) for d in docs], "total": svc.db.evaluations.count_documents(query)}

    return svc.cache.get_or_compute(_scope(user), f"list:{model_id}:{status}:{limit}:{offset}", fetch)


@router.post("", response_model=Evaluation, status_code=201)
def create_evaluation(body: EvaluationCreate, request: Request,
                      user: User = Depends(caller("evaluations", roles=("admin", "evaluator")))):
    svc = services(request)
    model_oid = svc.oid(body.model_id)
    if model_oid is None or svc.db.models.find_one({"_id": model_oid}, {"_id": 1}) is None:
        raise HTTPException(404, "model not found")
    doc = {"user_id": ObjectId(user.id), "model_id": model_oid, "dataset": body.dataset, "parameters": body.parameters or {},
           "status": "queued", "metrics": {}, "created_at": datetime.now(timezone.utc)}
    doc["_id"] = svc.db.evaluations.insert_one(doc).inserted_id
    svc.cache.invalidate(f"cache:evals:{user.id}", "cache:evals:all")
    return convert.evaluation(doc)


@router.get("/{evaluation_id}", response_model=Evaluation)
def get_evaluation(evaluation_id: str, request: Request, user: User = Depends(caller("evaluations"))):
    svc = services(request)
    oid = svc.oid(evaluation_id)
    doc = svc.db.evaluations.find_one({"_id": oid}) if oid else None
    mine = doc is not None and (user.role == "admin" or str(doc["user_id"]) == user.id or svc.fault("idor_evaluations"))
    if not mine:  # another user's evaluation is "not found": no existence leak
        raise HTTPException(404, "evaluation not found")
    return convert.evaluation(doc)
