"""Who may do what through the web: sign-in, sessions, API tokens, roles, CSRF, throttling.

Protected by default: one dependency on the whole app checks every request; the public
routes are the ones named in ``PUBLIC``, and every route needs a viewer, or the role
``ROLE_OF`` names for it, any other state change an admin. Sign-in is needed once any
account exists, or whenever the server is reachable beyond this machine; a one-person
server on loopback with no accounts works as before for requests from this machine. One
from beyond it (a reverse proxy passed it on, or it comes from another address) is never
served as that one person: with no accounts to sign in to, it is told to make an admin.

A session is a random cookie (``HttpOnly``, ``SameSite=Lax``, ``Secure`` over HTTPS) the
catalog knows only by digest; a state change made with it must echo the session's CSRF
token in ``X-CSRF-Token`` and come from this origin. Scripts send an API token instead
(``Authorization: Bearer``), which needs neither.
"""

from __future__ import annotations

import hmac
import html
import logging
import threading
import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse
from limits import (
    RateLimitItem,
    RateLimitItemPerDay,
    RateLimitItemPerHour,
    RateLimitItemPerMinute,
    storage,
    strategies,
)
from pydantic import BaseModel, Field

from smartalbum.catalog import ADMIN, EDITOR, VIEWER
from smartalbum.errors import (
    AdminRequiredError,
    ForbiddenError,
    NotFoundError,
    SmartalbumError,
    TooManyAttemptsError,
    UnauthorizedError,
    UntrustedHostError,
)
from smartalbum.hosts import host_name, is_loopback
from smartalbum.i18n import LANGUAGES, Message, t
from smartalbum.library import activity
from smartalbum.library.accounts import Accounts, Principal, digest, short_id
from smartalbum.settings import Settings
from smartalbum.web.errors import error_responses
from smartalbum.web.library_routes import LibraryHolder
from smartalbum.web.proxies import carries_proxy_headers

log = logging.getLogger(__name__)

SESSION_COOKIE, CSRF_COOKIE, CSRF_HEADER = "smartalbum_session", "smartalbum_csrf", "x-csrf-token"
# Routes anyone may use: the sign-in page and its call, health, the schema and its docs.
PUBLIC = {
    ("GET", "/login"), ("POST", "/api/login"), ("GET", "/api/health"), ("GET", "/favicon.ico"),
    ("GET", "/openapi.json"), ("GET", "/docs"), ("GET", "/docs/oauth2-redirect"),
    # The phone app's manifest and service worker: the shell, nothing of the library.
    ("GET", "/manifest.webmanifest"), ("GET", "/sw.js"),
    # A share link's token is its credential: these routes check it themselves.
    ("GET", "/s/{token}"), ("GET", "/api/shared/{token}"), ("POST", "/api/shared/{token}/unlock"),
    ("GET", "/api/shared/{token}/photos/{photo_id}/thumbnail"),
    ("GET", "/api/shared/{token}/photos/{photo_id}/original"),
    ("GET", "/api/shared/{token}/photos/{photo_id}/motion"),  # a Live Photo's MOV
    # A link's guests add photos (when its sharer allows it): the same token is the key.
    ("OPTIONS", "/api/shared/{token}/uploads"), ("POST", "/api/shared/{token}/uploads/check"),
    ("POST", "/api/shared/{token}/uploads"), ("GET", "/api/shared/{token}/uploads"),
    ("HEAD", "/api/shared/{token}/uploads/{upload_id}"),
    ("PATCH", "/api/shared/{token}/uploads/{upload_id}"),
    ("GET", "/api/shared/{token}/uploads/{upload_id}"),
    ("DELETE", "/api/shared/{token}/uploads/{upload_id}"),
    ("GET", "/api/shared/{token}/download"),  # when the sharer allows it
}  # fmt: skip
PAGES = {
    "/",
    "/gallery",
    "/people",
    "/backups",
}  # a browser that is not signed in is sent to the sign-in page
# The role a route needs when it is not the default (GET: viewer; any other method: admin).
ROLE_OF = {
    ("POST", "/predict"): VIEWER,
    ("POST", "/api/logout"): VIEWER,
    ("DELETE", "/api/me/sessions/{session_id}"): VIEWER,  # one's own sessions only
    ("POST", "/api/photos/{photo_id}/labels"): EDITOR,
    ("POST", "/api/albums/reload"): EDITOR,
    ("POST", "/api/albums/{album_id}/shares"): EDITOR,
    ("POST", "/api/moments/{moment_id}/shares"): EDITOR,
    ("GET", "/api/albums/{album_id}/shares"): EDITOR,
    ("GET", "/api/moments/{moment_id}/shares"): EDITOR,
    ("GET", "/api/shares"): EDITOR,
    ("DELETE", "/api/shares/{link_id}"): EDITOR,
    ("GET", "/api/shares/{link_id}/uploads"): EDITOR,  # what a link's guests added
    ("DELETE", "/api/shares/{link_id}/uploads/{photo_id}"): EDITOR,
    # Uploads into the library (tus): editors and admins; a viewer has none to ask about.
    ("OPTIONS", "/api/uploads"): EDITOR,
    ("POST", "/api/uploads/check"): EDITOR,
    ("POST", "/api/uploads"): EDITOR,
    ("GET", "/api/uploads"): EDITOR,
    ("HEAD", "/api/uploads/{upload_id}"): EDITOR,
    ("PATCH", "/api/uploads/{upload_id}"): EDITOR,
    ("GET", "/api/uploads/{upload_id}"): EDITOR,
    ("DELETE", "/api/uploads/{upload_id}"): EDITOR,
    ("POST", "/api/categories"): EDITOR,  # teaching categories is an editor's work
    ("POST", "/api/categories/{category_id}/answers"): EDITOR,
    ("POST", "/api/categories/{category_id}/threshold"): EDITOR,
    ("DELETE", "/api/categories/{category_id}"): EDITOR,
    ("POST", "/api/people/{person_id}/name"): EDITOR,  # naming and fixing people
    ("POST", "/api/people/{person_id}/merge"): EDITOR,
    ("POST", "/api/people/{person_id}/hide"): EDITOR,
    ("DELETE", "/api/people/{person_id}"): EDITOR,
    ("DELETE", "/api/faces/{face_id}/person"): EDITOR,
    ("POST", "/api/faces/scan"): EDITOR,  # the face pass over photos indexed before
    ("POST", "/api/trash"): EDITOR,  # deleting hides, and a restore undoes it for 30 days
    ("GET", "/api/trash"): EDITOR,
    ("GET", "/api/trash/{photo_id}/thumbnail"): EDITOR,
    ("POST", "/api/trash/restore"): EDITOR,
    ("POST", "/api/trash/purge"): ADMIN,  # nothing undoes it: uploaded files leave the disk
    ("GET", "/api/folders"): ADMIN,  # server folders are the admin's business
    ("GET", "/api/jobs/{job_id}"): ADMIN,
    ("GET", "/api/schedule"): ADMIN,  # what the server does by itself, and how it went
    ("GET", "/api/activity"): ADMIN,  # who imported what, from where
    ("GET", "/api/backups"): ADMIN,  # where the library's copies are, and "back up now" (POST)
    # Albums people make: editors make and change them (anyone's); viewers look.
    ("POST", "/api/user-albums"): EDITOR,
    ("PATCH", "/api/user-albums/{album_id}"): EDITOR,
    ("DELETE", "/api/user-albums/{album_id}"): EDITOR,
    ("POST", "/api/user-albums/{album_id}/photos"): EDITOR,
    ("POST", "/api/user-albums/{album_id}/photos/remove"): EDITOR,
    ("POST", "/api/user-albums/{album_id}/order"): EDITOR,
    ("POST", "/api/user-albums/{album_id}/shares"): EDITOR,
    ("GET", "/api/user-albums/{album_id}/shares"): EDITOR,
    ("POST", "/api/selection/favourite"): VIEWER,  # one's own hearts
    ("POST", "/api/selection/archive"): EDITOR,  # hides photos from everyone's timeline
    ("POST", "/api/selection/labels"): EDITOR,
}
READS = {"GET", "HEAD", "OPTIONS"}
# Failed sign-ins: per account and address, and per address whatever the account.
# Each tier allows twice the failures of the one before over four times the time, so a
# guesser who keeps on waits longer each time (15 min, then up to 1 h, 4 h, a day): an
# exponential back-off made of plain moving windows.
PER_ACCOUNT = (
    RateLimitItemPerMinute(5, 15),
    RateLimitItemPerHour(10),
    RateLimitItemPerHour(20, 4),
    RateLimitItemPerDay(40),
)
PER_ADDRESS = (RateLimitItemPerMinute(20, 15), RateLimitItemPerHour(40), RateLimitItemPerDay(160))
LOCAL = Principal("local", ADMIN, anonymous=True)  # who a one-person server on loopback acts for
ADMIN_REQUIRED = t(
    "this request came from beyond this machine (through a reverse proxy, or from another "
    "address), and this server has no accounts yet, so it shows nothing: create an admin on "
    "the server with `smartalbum users add NAME --role admin`, then sign in"
)


def untrusted_host(host: str) -> Message:
    """Why a request naming ``host`` was refused, and how to reach the server instead."""
    return t(
        "this server has no accounts, so it answers only to this machine's own names "
        "(localhost, 127.0.0.1, [::1]); a request for {host} was refused, since a web page "
        "whose name was pointed at this machine (DNS rebinding) must not read the library. "
        "Open http://localhost with the server's port, or create an admin "
        "(`smartalbum users add NAME --role admin`) and sign in",
        host=host,
    )


class SignInRequired(UnauthorizedError):
    """A page asked for by a browser that is not signed in: it is sent to /login."""


class AdminPageRequired(AdminRequiredError):
    """A page asked for from beyond this machine of a server with no accounts: a page in
    both languages says how to make an admin."""


class UntrustedHostPage(UntrustedHostError):
    """A page asked for by another host's name of a server with no accounts: a page in both
    languages says which names it answers to."""


class Gate:
    """The app's access policy over one library's accounts."""

    def __init__(self, settings: Settings, holder: LibraryHolder) -> None:
        self.settings = settings
        self.holder = holder
        self.public_server = settings.serves_beyond_this_machine
        self._accounts: Accounts | None = None
        self._lock = threading.Lock()
        self._known: tuple[float, bool] = (0.0, False)  # (when looked, accounts exist)
        self.limiter = strategies.MovingWindowRateLimiter(storage.MemoryStorage())

    @property
    def accounts(self) -> Accounts:
        """The accounts of the library (opened with it)."""
        with self._lock:
            if self._accounts is None:
                self._accounts = Accounts(self.holder.get().sessions)
            return self._accounts

    def required(self) -> bool:
        """Whether this server asks for sign-in: reachable from beyond, or accounts exist."""
        return self.public_server or self._accounts_exist()

    def _accounts_exist(self) -> bool:
        """Whether the library has accounts (looked up at most once a second)."""
        looked, exist = self._known
        if time.monotonic() - looked > 1.0:
            try:
                exist = self.accounts.exist()
            except SmartalbumError:
                # No catalog, so no accounts in it: a loopback server serves as before, and
                # every library request reports the catalog's own error.
                exist = False
            self._known = (time.monotonic(), exist)
        return exist

    def from_beyond(self, request: Request) -> bool:
        """Whether a request may come from beyond this machine: the server says others reach
        it, a proxy passed the request on, or it arrives from another address."""
        peer = request.client.host if request.client else None  # None: a Unix socket
        return (
            self.public_server
            or carries_proxy_headers(request.headers)
            or (peer is not None and not is_loopback(peer))
        )

    def names_this_machine(self, request: Request) -> bool:
        """Whether the request's Host is a loopback name or address, or the one the server
        binds to (any port). A browser always sends one; a page whose own name was made to
        resolve to 127.0.0.1 (DNS rebinding) sends that name, and is refused."""
        header = request.headers.get("host")
        if header is None:
            return True  # not a browser: a browser always names the host it asked for
        name = host_name(header)
        return is_loopback(name) or name == host_name(self.settings.host)

    def _the_one_person(self, request: Request, page: bool) -> Principal:
        """A server with no accounts serves this machine, under this machine's own names only."""
        if self.from_beyond(request):
            raise (AdminPageRequired if page else AdminRequiredError)(ADMIN_REQUIRED)
        if not self.names_this_machine(request):
            host = request.headers.get("host", "")[:100]  # it is shown back: keep it short
            raise (UntrustedHostPage if page else UntrustedHostError)(untrusted_host(host))
        return LOCAL

    def principal(self, request: Request) -> Principal | None:
        """Who the request acts for, from its bearer token or its session cookie."""
        header = request.headers.get("authorization", "")
        if header.lower().startswith("bearer "):
            return self.accounts.token_principal(header[7:].strip())
        cookie = request.cookies.get(SESSION_COOKIE)
        if cookie:
            idle = self.settings.session_idle_hours * 3600.0
            lifetime = self.settings.session_max_days * 86400.0
            return self.accounts.session_principal(cookie, idle, lifetime)
        return None

    def check(self, request: Request) -> Principal:
        """The principal, if it may make this request; else the error that says why."""
        method = request.method
        route = request.scope.get("route")
        # The template as the schema shows it: without a converter ({upload_id:upload_id}).
        path = str(getattr(route, "path_format", None) or getattr(route, "path", request.url.path))
        if (method, path) in PUBLIC:
            return LOCAL
        if not self._accounts_exist():
            return self._the_one_person(request, page=method == "GET" and path in PAGES)
        principal = self.principal(request)
        if principal is None:
            if method == "GET" and path in PAGES:
                raise SignInRequired(t("sign in first"))
            raise UnauthorizedError(t("sign in, or send an API token (Authorization: Bearer)"))
        needed = ROLE_OF.get((method, path), VIEWER if method in READS else ADMIN)
        if not principal.may(needed):
            raise ForbiddenError(
                t("a {role} may not do this (it needs {needed})", role=principal.role,
                  needed=needed)
            )  # fmt: skip
        if method not in READS and principal.csrf is not None:
            _check_same_origin(request, principal.csrf)
        return principal

    async def guard(self, request: Request) -> None:
        """The app's one dependency, every route's gate: who the request acts for, or the
        error that says why not (a lean route, web/lean_routes.py, awaits it too)."""
        request.state.principal = self.check(request)

    def throttle(self, name: str, address: str) -> None:
        """Refuse a sign-in from an address that failed too often, for this account or any."""
        refused = [
            self.limiter.get_window_stats(item, *keys).reset_time
            for item, keys in self._tiers(name, address)
            if not self.limiter.test(item, *keys)
        ]
        if refused:
            wait = max(1, int(max(refused) - time.time()) + 1)
            raise TooManyAttemptsError(
                t("too many failed sign-ins; try again in {seconds} s", seconds=wait), wait
            )

    def failed(self, name: str, address: str) -> None:
        """Count a failed sign-in (logged with the address, never the password)."""
        log.warning("failed sign-in for %r from %s", name, address)
        for item, keys in self._tiers(name, address):
            self.limiter.hit(item, *keys)

    @staticmethod
    def _tiers(name: str, address: str) -> list[tuple[RateLimitItem, tuple[str, ...]]]:
        return [(item, ("account", name, address)) for item in PER_ACCOUNT] + [
            (item, ("address", address)) for item in PER_ADDRESS
        ]


def _check_same_origin(request: Request, csrf: str) -> None:
    """A cookie's state change must echo its CSRF token and come from this origin."""
    sent = request.headers.get(CSRF_HEADER, "")
    if not sent or not hmac.compare_digest(sent, csrf):
        raise ForbiddenError(t("missing or wrong CSRF token (X-CSRF-Token)"))
    here = f"{request.url.scheme}://{request.url.netloc}"
    origin = request.headers.get("origin") or request.headers.get("referer")
    if origin is not None and origin != here and not origin.startswith(here + "/"):
        raise ForbiddenError(t("a request from another site ({origin}) was refused", origin=origin))


class SignIn(BaseModel):
    """Body of ``POST /api/login``."""

    name: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


def install_auth(app: FastAPI, gate: Gate) -> None:
    """Every route behind the gate, the sign-in routes, and pages sent to /login."""

    app.router.dependencies.append(Depends(gate.guard))
    app.include_router(auth_router(gate))

    @app.exception_handler(SignInRequired)
    async def to_login(request: Request, exc: SignInRequired) -> RedirectResponse:
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)

    @app.exception_handler(AdminPageRequired)
    async def make_an_admin(request: Request, exc: AdminPageRequired) -> HTMLResponse:
        return HTMLResponse(refusal_page(exc, "an admin is needed"), status_code=exc.status)

    @app.exception_handler(UntrustedHostPage)
    async def own_names_only(request: Request, exc: UntrustedHostPage) -> HTMLResponse:
        return HTMLResponse(refusal_page(exc, "another host's name"), status_code=exc.status)


def refusal_page(exc: SmartalbumError, title: str) -> str:
    """A plain page in English and Chinese saying why nothing is shown and what to do."""
    paragraphs = "\n".join(
        f'<p lang="{lang}">{html.escape(exc.render(lang))}</p>' for lang in LANGUAGES
    )
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>smartalbum: {html.escape(title)}</title></head>\n"
        f"<body><h1>smartalbum</h1>\n{paragraphs}\n</body></html>\n"
    )


def _signed_in_name(request: Request) -> str:
    """The account a request acts for; a server nobody signs in to has no sessions."""
    principal: Principal = request.state.principal
    if principal.anonymous:
        raise NotFoundError(t("nobody signs in to this server, so it has no sessions"))
    return principal.name


def client_address(request: Request) -> str:
    """The address a request comes from (a trusted proxy's client: see web/proxies.py)."""
    return request.client.host if request.client else "unknown"


def auth_router(gate: Gate) -> APIRouter:
    """``POST /api/login``, ``POST /api/logout`` and ``GET /api/me``."""
    router = APIRouter(prefix="/api")

    @router.post("/login", responses=error_responses(400, 401, 422, 429))
    def login(body: SignIn, request: Request, response: Response) -> dict[str, Any]:
        """Sign in with a name and password: a session cookie, and the CSRF token to echo."""
        address = client_address(request)
        gate.throttle(body.name, address)
        user = gate.accounts.verify(body.name, body.password)
        if user is None:
            gate.failed(body.name, address)
            raise UnauthorizedError(t("wrong name or password"))
        cookie, csrf = gate.accounts.open_session(user, address)
        activity.log_now(gate.holder.get().sessions, user.name, activity.SIGN_IN, address)
        secure = request.url.scheme == "https"
        lifetime = gate.settings.session_max_days * 86400
        response.set_cookie(SESSION_COOKIE, cookie, max_age=lifetime, httponly=True,
                            samesite="lax", secure=secure)  # fmt: skip
        response.set_cookie(CSRF_COOKIE, csrf, max_age=lifetime, samesite="lax", secure=secure)
        return {"name": user.name, "role": user.role, "csrf": csrf}

    @router.post("/logout", responses=error_responses(401, 403))
    def logout(request: Request, response: Response) -> dict[str, Any]:
        """Sign out: the session ends on the server, and its cookies are cleared."""
        cookie = request.cookies.get(SESSION_COOKIE)
        if cookie:
            gate.accounts.close_session(cookie)
        response.delete_cookie(SESSION_COOKIE)
        response.delete_cookie(CSRF_COOKIE)
        return {"signed_out": True}

    @router.get("/me", responses=error_responses(401))
    def me(request: Request) -> dict[str, Any]:
        """Who is signed in and with which role; whether this server asks for sign-in."""
        principal: Principal = request.state.principal
        return {"name": principal.name, "role": principal.role, "sign_in": gate.required()}

    @router.get("/me/sessions", responses=error_responses(401))
    def my_sessions(request: Request) -> dict[str, Any]:
        """The signed-in account's sessions (browsers signed in), this one marked current;
        none on a server nobody signs in to."""
        principal: Principal = request.state.principal
        if principal.anonymous:
            return {"sessions": []}
        name = principal.name
        cookie = request.cookies.get(SESSION_COOKIE)
        current = short_id(digest(cookie)) if cookie else None
        rows = gate.accounts.sessions_of(name)
        return {"sessions": [{**row, "current": row["id"] == current} for row in rows]}

    @router.delete("/me/sessions/{session_id}", responses=error_responses(401, 403, 404))
    def end_my_session(
        request: Request, session_id: Annotated[str, PathParam(max_length=16)]
    ) -> dict[str, Any]:
        """Sign one of the account's browsers out (a lost phone, say)."""
        return {"ended": gate.accounts.end_sessions(_signed_in_name(request), session_id)}

    return router
