"""Auth: register, log in, who am I."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status
from fastapi.security import OAuth2PasswordRequestForm
from paperdesk_core.db.models import User as UserModel

from paperdesk_api.deps import CurrentUser, RedisDep, SessionDep
from paperdesk_api.modules.auth import schemas
from paperdesk_api.modules.auth.service import auth as auth_service

router = APIRouter(tags=["auth"])


@router.post("/auth/register", response_model=schemas.User, status_code=status.HTTP_201_CREATED)
def register(payload: schemas.UserCreate, session: SessionDep) -> UserModel:
    """Create a user with a paper account of 100000.00 USD."""
    return auth_service.register(
        session, email=payload.email, password=payload.password, display_name=payload.display_name
    )


@router.post("/auth/login", response_model=schemas.Token)
def login(
    form: Annotated[OAuth2PasswordRequestForm, Depends()], session: SessionDep, redis: RedisDep
) -> schemas.Token:
    """Exchange email (``username``) and password for a bearer token."""
    user = auth_service.authenticate(session, redis, email=form.username, password=form.password)
    return auth_service.issue_token(user)


@router.get("/me", response_model=schemas.User)
def me(user: CurrentUser) -> UserModel:
    """Return the authenticated user."""
    return user
