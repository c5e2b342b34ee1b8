"""Commands about who may use the web: ``users`` and ``tokens``."""

from __future__ import annotations

import argparse
import getpass
import json
import re
import sys
from collections.abc import Callable
from typing import Any

from smartalbum.cli.common import EXIT_OK
from smartalbum.errors import ConfigError
from smartalbum.i18n import t
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
    if getpass.getpass("again: ") != first:
        raise ConfigError(t("the two passwords differ"))
    return first


def _users(args: argparse.Namespace, settings: Settings) -> int:
    accounts = _accounts(settings)
    if args.action == "add":
        accounts.add(args.name, args.role, read_password(f"password for {args.name}: "))
        print(f"smartalbum: added {args.name} ({args.role})", file=sys.stderr)
    elif args.action == "passwd":
        accounts.set_password(args.name, read_password(f"new password for {args.name}: "))
        print(f"smartalbum: new password for {args.name}; its sessions ended", file=sys.stderr)
    elif args.action == "remove":
        accounts.remove(args.name)
        print(f"smartalbum: removed {args.name}", file=sys.stderr)
    elif args.action == "sessions":
        line = "{id}  from {address}  signed in {created_at:.0f}, last seen {seen_at:.0f}"
        _show(accounts.sessions_of(args.name), args.json, line)
    elif args.action == "signout":
        ended = accounts.end_sessions(args.name, args.session)
        print(f"smartalbum: ended {ended} session(s) of {args.name}", file=sys.stderr)
    else:
        _show(
            accounts.users(), args.json, "{name:<24} {role:<7} {sessions} sessions, {tokens} tokens"
        )
    return EXIT_OK


def _show(rows: list[dict[str, Any]], as_json: bool, line: str) -> None:
    """A listing as JSON, or one formatted line a row."""
    if as_json:
        print(json.dumps(rows, indent=2))
        return
    for row in rows:
        print(line.format(**row))


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
        print(f"smartalbum: revoked token {args.id}", file=sys.stderr)
    else:
        rows = accounts.tokens()
        if not args.json:
            rows = [{**r, "kind": "read-only" if r["read_only"] else "full"} for r in rows]
        _show(rows, args.json, "{id:>5} {user:<24} {kind:<9} last used {used_at}")
    return EXIT_OK


COMMANDS: dict[str, Callable[[argparse.Namespace, Settings], int]] = {
    "users": _users,
    "tokens": _tokens,
}
