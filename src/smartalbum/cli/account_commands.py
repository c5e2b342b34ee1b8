"""Commands about who may use the web: ``users`` and ``tokens``."""

from __future__ import annotations

import argparse
import getpass
import json
import re
import sys
from collections.abc import Callable
from datetime import datetime
from typing import Any

from smartalbum.cli.common import EXIT_OK, language, say, show
from smartalbum.errors import ConfigError
from smartalbum.i18n import Message, nt, t
from smartalbum.settings import Settings

ROLES = ("admin", "editor", "viewer")
_DURATION = re.compile(r"^(\d+)([dhm])$")
_UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60}


def add_parsers(sub: Any) -> None:
    """``users add|list|passwd|remove|sessions|signout`` and ``tokens create|list|revoke``."""
    library = argparse.ArgumentParser(add_help=False)
    library.add_argument("--library", help="the catalog the accounts live in")
    library.add_argument("--json", action="store_true", help="print JSON")
    users = sub.add_parser(
        "users", help="accounts for the web: add, list, passwd, remove, sessions, signout"
    )
    users_sub = users.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = users_sub.add_parser("add", parents=[library], help="add an account")
    add.add_argument("name", metavar="NAME")
    add.add_argument("--role", choices=ROLES, required=True)
    users_sub.add_parser("list", parents=[library], help="list the accounts")
    for action, text in (
        ("passwd", "set a new password"),
        ("remove", "remove an account"),
        ("sessions", "list an account's signed-in browsers"),
    ):
        users_sub.add_parser(action, parents=[library], help=text).add_argument("name")
    signout = users_sub.add_parser("signout", parents=[library], help="end an account's sessions")
    signout.add_argument("name")
    signout.add_argument("--session", metavar="ID", help="only this one (see users sessions)")
    tokens = sub.add_parser("tokens", help="API tokens for scripts: create, list, revoke")
    tokens_sub = tokens.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = tokens_sub.add_parser("create", parents=[library], help="make a token (shown once)")
    create.add_argument("--user", required=True, metavar="NAME")
    create.add_argument("--read-only", action="store_true", help="a viewer's rights only")
    create.add_argument("--expires", metavar="90d", help="lifetime: days, hours or minutes")
    tokens_sub.add_parser("list", parents=[library], help="list the tokens (never their secret)")
    tokens_sub.add_parser("revoke", parents=[library], help="revoke a token").add_argument(
        "id", type=int, metavar="ID"
    )


def _accounts(settings: Settings) -> Any:
    from smartalbum.catalog import open_engine, session_factory
    from smartalbum.library.accounts import Accounts

    return Accounts(session_factory(open_engine(settings.library)))


def read_password(prompt: str) -> str:
    """A password from the terminal (twice, not echoed) or one line of standard input."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass(prompt)
    if getpass.getpass(t("again: ").render(language())) != first:
        raise ConfigError(t("the two passwords differ"))
    return first


def _users(args: argparse.Namespace, settings: Settings) -> int:
    accounts = _accounts(settings)
    name = args.name if args.action != "list" else ""
    if args.action == "add":
        accounts.add(name, args.role, _password(t("password for {name}: ", name=name)))
        say(t("smartalbum: added {name} ({role})", name=name, role=_role(args.role)))
    elif args.action == "passwd":
        accounts.set_password(name, _password(t("new password for {name}: ", name=name)))
        say(t("smartalbum: new password for {name}; its sessions ended", name=name))
    elif args.action == "remove":
        accounts.remove(name)
        say(t("smartalbum: removed {name}", name=name))
    elif args.action == "sessions":
        _show(accounts.sessions_of(name), args.json, _session_line)
    elif args.action == "signout":
        ended = accounts.end_sessions(name, args.session)
        say(
            nt(
                "smartalbum: ended {count} session of {name}",
                "smartalbum: ended {count} sessions of {name}",
                ended,
                count=ended,
                name=name,
            )
        )
    else:
        _show(accounts.users(), args.json, _user_line)
    return EXIT_OK


def _role(role: str) -> Message:
    """A role's name for the reader (the command line takes its English id)."""
    return {"admin": t("admin"), "editor": t("editor"), "viewer": t("viewer")}[role]


def _password(prompt: Message) -> str:
    return read_password(prompt.render(language()))


def _when(stamp: float | None) -> str:
    """A time stamp as the local date and minute."""
    return "" if stamp is None else datetime.fromtimestamp(stamp).strftime("%Y-%m-%d %H:%M")


def _user_line(row: dict[str, Any]) -> Message:
    sessions = nt("{count} session", "{count} sessions", row["sessions"], count=row["sessions"])
    tokens = nt("{count} token", "{count} tokens", row["tokens"], count=row["tokens"])
    return t(
        "{name:<24} {role:<7} {sessions}, {tokens}",
        name=row["name"],
        role=_role(row["role"]),
        sessions=sessions,
        tokens=tokens,
    )


def _session_line(row: dict[str, Any]) -> Message:
    return t(
        "{id}  from {address}  signed in {created_at}, last seen {seen_at}",
        id=row["id"], address=row["address"] or "?", created_at=_when(row["created_at"]),
        seen_at=_when(row["seen_at"]),
    )  # fmt: skip


def _token_line(row: dict[str, Any]) -> Message:
    """One token: id, user, rights, when last used (or never) and when it expires (or never)."""
    kind = t("read-only") if row["read_only"] else t("full")
    used = (
        t("never used")
        if row["used_at"] is None
        else t("last used {when}", when=_when(row["used_at"]))
    )
    expires = (
        t("never expires")
        if row["expires_at"] is None
        else t("expires {when}", when=_when(row["expires_at"]))
    )
    return t(
        "{id:>5} {user:<24} {kind}  {used}, {expires}",
        id=row["id"],
        user=row["user"],
        kind=kind,
        used=used,
        expires=expires,
    )


def _show(
    rows: list[dict[str, Any]], as_json: bool, line: Callable[[dict[str, Any]], Message]
) -> None:
    """A listing as JSON, or one line a row in the reader's language."""
    if as_json:
        print(json.dumps(rows, indent=2))
        return
    for row in rows:
        show(line(row))


def _lifetime(text: str | None) -> float | None:
    if text is None:
        return None
    match = _DURATION.match(text.strip())
    if match is None:
        raise ConfigError(t("--expires takes e.g. 90d, 12h or 30m, got {text!r}", text=text))
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def _tokens(args: argparse.Namespace, settings: Settings) -> int:
    accounts = _accounts(settings)
    if args.action == "create":
        token = accounts.create_token(args.user, args.read_only, _lifetime(args.expires))
        print(token)  # the only time it is shown
    elif args.action == "revoke":
        accounts.revoke_token(args.id)
        say(t("smartalbum: revoked token {id}", id=args.id))
    else:
        _show(accounts.tokens(), args.json, _token_line)
    return EXIT_OK


COMMANDS: dict[str, Callable[[argparse.Namespace, Settings], int]] = {
    "users": _users,
    "tokens": _tokens,
}
