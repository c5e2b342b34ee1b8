"""The ``smartalbum`` command line: the parser and ``main``; commands live beside it."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from smartalbum import __version__
from smartalbum.cli import (
    account_commands,
    album_commands,
    backup_commands,
    category_commands,
    check_command,
    library_commands,
    model_commands,
    people_commands,
    text_commands,
    trash_commands,
    worker_commands,
    xmp_commands,
)
from smartalbum.cli.common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, language, say
from smartalbum.errors import ConfigError, SmartalbumError, UnexpectedError, error_body
from smartalbum.i18n import t
from smartalbum.settings import Settings

log = logging.getLogger("smartalbum")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    parser = argparse.ArgumentParser(
        prog="smartalbum",
        description="Private, offline photo classifier: 1000 ImageNet classes, English and 中文.",
        epilog="Every flag also has an environment variable SMARTALBUM_<NAME>; flags win.",
    )
    parser.add_argument("--version", action="version", version=f"smartalbum {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    model_flags = argparse.ArgumentParser(add_help=False)
    model_flags.add_argument("--model", help="model from the zoo (default efficientnet_lite0)")
    model_flags.add_argument("--weights", type=Path, help="weights file for the model")
    model_flags.add_argument(
        "--engine",
        help="inference engine: auto, torch, onnx, onnx-int8, openvino, openvino-int8 "
        "(bench: also all)",
    )
    model_flags.add_argument("--batch-size", type=int, help="images per model call")
    model_flags.add_argument("--threads", type=int, help="inference threads")
    model_flags.add_argument("--json", action="store_true", help="print JSON")

    model_commands.add_parsers(sub, model_flags)
    library_commands.add_parsers(sub, model_flags)
    account_commands.add_parsers(sub)
    worker_commands.add_parsers(sub)
    category_commands.add_parsers(sub, model_flags)
    trash_commands.add_parsers(sub)
    text_commands.add_parsers(sub)
    album_commands.add_parsers(sub)
    xmp_commands.add_parsers(sub)
    people_commands.add_parsers(sub)
    backup_commands.add_parsers(sub)
    check_command.add_parsers(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 ok, 1 some input failed, 2 usage)."""
    args = build_parser().parse_args(argv)
    _configure_logging(args.verbose)
    try:
        commands = (
            model_commands.COMMANDS
            | library_commands.COMMANDS
            | account_commands.COMMANDS
            | worker_commands.COMMANDS
            | category_commands.COMMANDS
            | trash_commands.COMMANDS
            | text_commands.COMMANDS
            | album_commands.COMMANDS
            | xmp_commands.COMMANDS
            | people_commands.COMMANDS
            | backup_commands.COMMANDS
            | check_command.COMMANDS
        )
        command = commands[args.command]
        code = command(args, _settings(args))
        # Written here, not at exit, so a full disk is reported like any other failure.
        sys.stdout.flush()
        return code
    except SmartalbumError as exc:
        return _report(args, exc)
    except KeyboardInterrupt:
        say(t("smartalbum: interrupted"))
        return 130
    except BrokenPipeError:  # `smartalbum ... | head`: the reader has all it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:  # a bug or the machine: one line, the traceback only on request
        _drop_unwritable_stdout()
        if args.verbose:
            log.error("the traceback of the failure below:", exc_info=exc)
        return _report(args, _unexpected(args, exc))


def _configure_logging(verbose: bool) -> None:
    """Our warnings on the terminal; with -v, ours and the libraries' (ONNX Runtime's) info."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.ERROR, format="smartalbum: %(message)s"
    )
    log.setLevel(logging.INFO if verbose else logging.WARNING)


def _report(args: argparse.Namespace, error: SmartalbumError) -> int:
    """Print an error (as JSON with --json) in the run's language; its exit code."""
    if getattr(args, "json", False):
        print(json.dumps(error_body(error, language()), ensure_ascii=False))
    else:
        say(t("smartalbum: error: {message}", message=error.text))
    return EXIT_USAGE if isinstance(error, ConfigError) else EXIT_FAILED


def _settings(args: argparse.Namespace) -> Settings:
    """The environment's settings with this command's flags on top."""
    engine = getattr(args, "engine", None)
    return Settings.from_env().with_overrides(
        model=getattr(args, "model", None),
        weights=getattr(args, "weights", None),
        engine=None if engine == "all" else engine,
        batch_size=getattr(args, "batch_size", None),
        threads=getattr(args, "threads", None),
        top_k=getattr(args, "top_k", None),
        host=getattr(args, "host", None),
        library=getattr(args, "library", None),
        public=getattr(args, "public", None) or None,
        trusted_proxies=getattr(args, "trusted_proxies", None),
        albums_file=getattr(args, "rules", None),
        home=getattr(args, "home", None),
        port=getattr(args, "port", None),
    )


def _unexpected(args: argparse.Namespace, exc: Exception) -> UnexpectedError:
    """An error no code path expected, as one line: what failed, why, and how to see more."""
    reason = " ".join(f"{type(exc).__name__}: {exc}".split())  # one line, whatever exc says
    if args.verbose:
        how = t("the traceback is above")
    else:
        how = t("run smartalbum -v {command} ... to see the traceback", command=args.command)
    return UnexpectedError(
        t(
            "the {command} command failed unexpectedly ({reason}); {how}",
            command=args.command,
            reason=reason,
            how=how,
        )
    )


def _drop_unwritable_stdout() -> None:
    """If stdout cannot take what is buffered (a full disk), drop it rather than fail at exit."""
    try:
        sys.stdout.flush()
    except OSError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
