from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import datetime, timezone
from urllib.parse import quote

from bson import ObjectId
from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response, UploadFile

from ..schemas import File, FileList, UploadStatus
from ..security import User
from ..services import caller, services
from . import convert

router = APIRouter(prefix="/api/files", tags=["files"])


def _scope(user: User) -> str:
    return f"cache:files:{user.id}"


def safe_filename(name: str | None) -> str:
    """A display name only: no directories, no control characters (the stored name is server-generated)."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r"[\x00-\x1f\x7f]", "", name).strip().lstrip(".")
    return name[:200] or "upload"


@router.post("/upload", response_model=File, status_code=201,
             responses={413: {"description": "file too large"}, 415: {"description": "content type not allowed"}})
def upload(file: UploadFile, request: Request, user: User = Depends(caller("upload", roles=("admin", "evaluator")))):
    svc = services(request)
    limit = svc.settings.max_upload_bytes
    data = file.file.read(limit + 1)
    if len(data) > limit:
        raise HTTPException(413, f"file larger than {limit} bytes")
    content_type = (file.content_type or "").split(";")[0].strip().lower()
    if content_type not in svc.settings.allowed_content_types:
        raise HTTPException(415, f"content type '{content_type}' is not allowed; allowed: {', '.join(svc.settings.allowed_content_types)}")
    # the fault client_file_names: the client's name becomes the storage key
    stored_name = svc.files.save(data, f"uploads/{file.filename}" if svc.fault("client_file_names") else None)
    doc = {"user_id": ObjectId(user.id), "filename": safe_filename(file.filename), "stored_name": stored_name, "size": len(data),
           "content_type": content_type, "sha256": hashlib.sha256(data).hexdigest(), "upload_status": "stored",
           "created_at": datetime.now(timezone.utc)}
    doc["_id"] = svc.db.files.insert_one(doc).inserted_id
    svc.cache.invalidate(_scope(user))
    return convert.file(doc)


@router.get("", response_model=FileList)
def list_files(request: Request, upload_status: UploadStatus | None = None, limit: int = Query(20, ge=1, le=100),
               offset: int = Query(0, ge=0, le=100_000), user: User = Depends(caller())):
    svc = services(request)
    query: dict = {"user_id": ObjectId(user.id)}
    if upload_status is not None:
        query["upload_status"] = upload_status

    def fetch():
        docs = list(svc.db.files.find(query).sort("created_at", -1).skip(offset).limit(limit))
        return {"items": [convert.file(d) for d in docs], "total": svc.db.files.count_documents(query)}

    return svc.cache.get_or_compute(_scope(user), f"list:{upload_status}:{limit}:{offset}", fetch)


def _owned(svc, file_id: str, user: User, anyones: bool = False) -> dict:
    oid = svc.oid(file_id)
    doc = svc.db.files.find_one({"_id": oid}) if oid else None
    if doc is None or (user.role != "admin" and str(doc["user_id"]) != user.id and not anyones):
        raise HTTPException(404, "file not found")
    return doc


@router.get("/{file_id}", response_model=File)
def get_file(file_id: str, request: Request, user: User = Depends(caller())):
    return convert.file(_owned(services(request), file_id, user))


@router.get("/{file_id}/content", response_class=Response, responses={200: {"content": {"application/octet-stream": {}}}})
def get_content(file_id: str, request: Request, user: User = Depends(caller())):
    svc = services(request)
    doc = _owned(svc, file_id, user)
    try:
        data = svc.files.load(doc["stored_name"])
    except svc.files.missing:
        raise HTTPException(404, "file content not found") from None
    if svc.fault("file_bytes_altered") and doc["content_type"].startswith("text/"):
        data = data.replace(b"\r\n", b"\n")  # line endings "normalised" on the way out
    ascii_name = doc["filename"].encode("ascii", "replace").decode().replace('"', "_")
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(doc['filename'])}"
    return Response(data, media_type=doc["content_type"], headers={"Content-Disposition": disposition})


@router.delete("/{file_id}", status_code=204)
def delete_file(file_id: str, request: Request, user: User = Depends(caller())):
    svc = services(request)
    doc = _owned(svc, file_id, user, anyones=svc.fault("files_delete_any"))
    svc.db.files.delete_one({"_id": doc["_id"]})
    svc.files.delete(doc["stored_name"])
    svc.cache.invalidate(f"cache:files:{doc['user_id']}")
    return Response(status_code=204)
