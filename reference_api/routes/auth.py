from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request

from ..schemas import LoginRequest, Me, TokenResponse
from ..security import User, verify_password
from ..services import caller, services

router = APIRouter(prefix="/api/auth", tags=["auth"])


@router.post("/login", response_model=TokenResponse)
def login(body: LoginRequest, request: Request):
    svc = services(request)
    email = body.email.strip().lower()
    client_ip = request.client.host if request.client else "unknown"
    svc.limiter.hit(("login", f"{client_ip}:{email}"))
    doc = svc.db.users.find_one({"email": email}, {"email": 1, "role": 1, "password_hash": 1})
    # Same message, and the same hashing work, whether or not the email exists.
    if not verify_password(doc.get("password_hash") if doc else None, body.password) or doc is None:
        raise HTTPException(401, "invalid email or password", headers={"WWW-Authenticate": "Bearer"})
    user = User(str(doc["_id"]), doc["email"], doc["role"])
    return {"access_token": svc.tokens.issue(user), "token_type": "bearer", "expires_in": svc.tokens.ttl_s}


@router.get("/me", response_model=Me)
def me(user: User = Depends(caller())):
    return {"id": user.id, "email": user.email, "role": user.role}
