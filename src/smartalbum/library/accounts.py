"""Who may use the library through the web: accounts, their sessions and their API tokens.

Passwords are hashed with argon2id (``argon2-cffi``) and never kept or logged; session
cookies and API tokens are random, shown once, and kept only as sha256 digests, so a
copy of the catalog signs nobody in. Accounts live in the catalog: every web process of
one library shares them.
"""

from __future__ import annotations

import functools
import hashlib
import re
import secrets
import time
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from smartalbum.catalog import ADMIN, ROLES, ApiToken, AuthSession, User
from smartalbum.errors import ConfigError, NotFoundError
from smartalbum.i18n import t

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
TOUCH_EVERY = 60.0  # seconds: how stale a session's or token's last use may get in the catalog
MIN_PASSWORD = 8


def digest(secret: str) -> str:
    """What the catalog keeps of a cookie or token: its sha256, never the secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


def short_id(session_digest: str) -> str:
    """How a session is named in lists: the start of its digest (which opens nothing)."""
    return session_digest[:16]


@dataclass(frozen=True)
class Principal:
    """Who a request acts for: a user and the role it may use (a read-only token: viewer)."""

    name: str
    role: str
    csrf: str | None = None  # set for a cookie session: state changes must echo it
    token: bool = False
    anonymous: bool = False  # nobody signed in: a server that asks for no sign-in

    def may(self, role: str) -> bool:
        """Whether this principal's role is ``role`` or above."""
        return ROLES.index(self.role) >= ROLES.index(role)


class Accounts:
    """The accounts of one catalog: users, sessions and tokens."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions
        self.hasher = PasswordHasher()  # argon2id with the library's (RFC 9106) defaults

    @functools.cached_property
    def _dummy_hash(self) -> str:
        """Verified against when the name is unknown, so both cases take as long.

        Made at the first sign-in, not with the object: a hash costs ~0.24 s, and most
        users of Accounts (the CLI, a server's gate) never verify a password.
        """
        return self.hasher.hash(secrets.token_hex(16))

    # -- users --------------------------------------------------------------------------------

    def exist(self) -> bool:
        """Whether any account exists (then the web asks everyone to sign in)."""
        with self.sessions() as session:
            return session.scalar(select(func.count()).select_from(User)) != 0

    def has_admin(self) -> bool:
        """Whether an admin account exists (``serve --public`` needs one)."""
        with self.sessions() as session:
            found = session.scalar(select(func.count()).select_from(User).where(User.role == ADMIN))
            return bool(found)

    def add(self, name: str, role: str, password: str) -> None:
        """A new account; ConfigError for a taken or bad name, an unknown role, a short password."""
        if not _NAME.match(name):
            raise ConfigError(
                t("{name!r}: a user name is letters, digits and . _ @ - (at most 64)", name=name)
            )
        if role not in ROLES:
            raise ConfigError(
                t("unknown role {role!r} (use one of {roles})", role=role, roles=", ".join(ROLES))
            )
        check_password(password)
        with self.sessions.begin() as session:
            if session.scalar(select(User.id).where(User.name == name)) is not None:
                raise ConfigError(t("a user {name!r} exists already", name=name))
            hashed = self.hasher.hash(password)
            session.add(User(name=name, role=role, password_hash=hashed, created_at=time.time()))

    def set_password(self, name: str, password: str) -> None:
        """A new password for an account; its sessions end."""
        check_password(password)
        with self.sessions.begin() as session:
            user = _user(session, name)
            user.password_hash = self.hasher.hash(password)
            session.execute(delete(AuthSession).where(AuthSession.user_id == user.id))

    def remove(self, name: str) -> None:
        """Remove an account with its sessions and tokens."""
        with self.sessions.begin() as session:
            user = _user(session, name)
            for model in (AuthSession, ApiToken):
                session.execute(delete(model).where(model.user_id == user.id))
            session.delete(user)

    def users(self) -> list[dict[str, Any]]:
        """Every account: name, role, when made, how many sessions and tokens it has."""
        with self.sessions() as session:
            rows = session.scalars(select(User).order_by(User.name)).all()
            return [
                {
                    "name": u.name,
                    "role": u.role,
                    "created_at": u.created_at,
                    "sessions": _count(session, AuthSession, u.id),
                    "tokens": _count(session, ApiToken, u.id),
                }
                for u in rows
            ]

    def verify(self, name: str, password: str) -> User | None:
        """The account if the password is right, else None (in the same time either way)."""
        with self.sessions() as session:
            user = session.scalar(select(User).where(User.name == name))
        try:
            self.hasher.verify(user.password_hash if user else self._dummy_hash, password)
        except (VerificationError, InvalidHashError):
            return None
        return user

    # -- sessions -----------------------------------------------------------------------------

    def open_session(self, user: User, address: str | None) -> tuple[str, str]:
        """A new session for a signed-in user: (the cookie's secret, its CSRF token)."""
        cookie, csrf, now = secrets.token_urlsafe(32), secrets.token_urlsafe(32), time.time()
        with self.sessions.begin() as session:
            session.add(
                AuthSession(
                    digest=digest(cookie),
                    user_id=user.id,
                    csrf=csrf,
                    created_at=now,
                    seen_at=now,
                    address=address,
                )
            )
        return cookie, csrf

    def session_principal(self, cookie: str, idle: float, lifetime: float) -> Principal | None:
        """Who a session cookie signs in, if the session is known and has not expired."""
        now = time.time()
        with self.sessions() as session:
            row = session.execute(
                select(AuthSession, User)
                .join(User, User.id == AuthSession.user_id)
                .where(AuthSession.digest == digest(cookie))
            ).first()
        if row is None:
            return None
        found, user = row
        if now - found.seen_at > idle or now - found.created_at > lifetime:
            return None
        if now - found.seen_at > TOUCH_EVERY:  # kept roughly fresh, not written per request
            with self.sessions.begin() as session:
                session.execute(
                    update(AuthSession)
                    .where(AuthSession.digest == found.digest)
                    .values(seen_at=now)
                )
        return Principal(user.name, user.role, csrf=found.csrf)

    def close_session(self, cookie: str) -> None:
        """End a session on the server (sign out)."""
        with self.sessions.begin() as session:
            session.execute(delete(AuthSession).where(AuthSession.digest == digest(cookie)))

    def sessions_of(self, name: str) -> list[dict[str, Any]]:
        """An account's sessions, newest first: id, when made, last seen, from where."""
        with self.sessions() as session:
            user = _user(session, name)
            rows = session.scalars(
                select(AuthSession)
                .where(AuthSession.user_id == user.id)
                .order_by(AuthSession.created_at.desc())
            ).all()
            return [
                {
                    "id": short_id(row.digest),
                    "created_at": row.created_at,
                    "seen_at": row.seen_at,
                    "address": row.address,
                }
                for row in rows
            ]

    def end_sessions(self, name: str, ident: str | None = None) -> int:
        """End one session of an account (by its id), or all of them; how many ended.

        NotFoundError for an id that is not one of this account's sessions.
        """
        with self.sessions.begin() as session:
            user = _user(session, name)
            digests = [
                d
                for d in session.scalars(
                    select(AuthSession.digest).where(AuthSession.user_id == user.id)
                )
                if ident is None or short_id(d) == ident
            ]
            if ident is not None and not digests:
                raise NotFoundError(t("{name} has no session {ident}", name=name, ident=ident))
            session.execute(delete(AuthSession).where(AuthSession.digest.in_(digests)))
        return len(digests)

    # -- tokens -------------------------------------------------------------------------------

    def create_token(self, name: str, read_only: bool, lifetime: float | None) -> str:
        """A new API token for an account, returned once (only its digest is kept)."""
        token = "sa_" + secrets.token_urlsafe(32)
        now = time.time()
        with self.sessions.begin() as session:
            user = _user(session, name)
            session.add(
                ApiToken(
                    digest=digest(token),
                    user_id=user.id,
                    read_only=int(read_only),
                    created_at=now,
                    expires_at=now + lifetime if lifetime else None,
                )
            )
        return token

    def token_principal(self, token: str) -> Principal | None:
        """Who an API token acts for, if it is known and has not expired."""
        now = time.time()
        with self.sessions() as session:
            row = session.execute(
                select(ApiToken, User)
                .join(User, User.id == ApiToken.user_id)
                .where(ApiToken.digest == digest(token))
            ).first()
        if row is None:
            return None
        found, user = row
        if found.expires_at is not None and now > found.expires_at:
            return None
        if found.used_at is None or now - found.used_at > TOUCH_EVERY:
            with self.sessions.begin() as session:
                session.execute(update(ApiToken).where(ApiToken.id == found.id).values(used_at=now))
        return Principal(user.name, "viewer" if found.read_only else user.role, token=True)

    def tokens(self) -> list[dict[str, Any]]:
        """Every token: id, its user, read-only or not, made, expires, last used (no secret)."""
        with self.sessions() as session:
            rows = session.execute(
                select(ApiToken, User.name).join(User, User.id == ApiToken.user_id)
            ).all()
            return [
                {
                    "id": tok.id,
                    "user": name,
                    "read_only": bool(tok.read_only),
                    "created_at": tok.created_at,
                    "expires_at": tok.expires_at,
                    "used_at": tok.used_at,
                }
                for tok, name in rows
            ]

    def revoke_token(self, token_id: int) -> None:
        """Revoke a token by its id; NotFoundError if there is none."""
        with self.sessions.begin() as session:
            if session.get(ApiToken, token_id) is None:
                raise NotFoundError(t("no token {token_id}", token_id=token_id))
            session.execute(delete(ApiToken).where(ApiToken.id == token_id))


def check_password(password: str) -> None:
    """ConfigError for a password too short to keep anyone out."""
    if len(password) < MIN_PASSWORD:
        raise ConfigError(t("a password needs at least {count} characters", count=MIN_PASSWORD))


def _user(session: Session, name: str) -> User:
    user = session.scalar(select(User).where(User.name == name))
    if user is None:
        raise NotFoundError(t("no user {name!r}", name=name))
    return user


def _count(session: Session, model: type[AuthSession] | type[ApiToken], user_id: int) -> int:
    found = session.scalar(select(func.count()).select_from(model).where(model.user_id == user_id))
    return int(found or 0)
