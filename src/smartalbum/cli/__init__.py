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
from smartalbum.cli import library_commands, model_commands
from smartalbum.cli.common import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from smartalbum.errors import ConfigError, SmartalbumError, error_body
from smartalbum.settings import Settings


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
        "--engine", help="inference engine: auto, torch, onnx, onnx-int8 (bench: also all)"
    )
    model_flags.add_argument("--batch-size", type=int, help="images per model call")
    model_flags.add_argument("--threads", type=int, help="inference threads")
    model_flags.add_argument("--json", action="store_true", help="print JSON")

    model_commands.add_parsers(sub, model_flags)
    library_commands.add_parsers(sub, model_flags)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 ok, 1 some input failed, 2 usage)."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="smartalbum: %(message)s",
    )
    try:
        engine = getattr(args, "engine", None)
        settings = Settings.from_env().with_overrides(
            model=getattr(args, "model", None),
            weights=getattr(args, "weights", None),
            engine=None if engine == "all" else engine,
            batch_size=getattr(args, "batch_size", None),
            threads=getattr(args, "threads", None),
            top_k=getattr(args, "top_k", None),
            host=getattr(args, "host", None),
            library=getattr(args, "library", None),
            albums_file=getattr(args, "rules", None),
            home=getattr(args, "home", None),
            port=getattr(args, "port", None),
        )
        command = {**model_commands.COMMANDS, **library_commands.COMMANDS}[args.command]
        return command(args, settings)
    except SmartalbumError as exc:
        if getattr(args, "json", False):
            print(json.dumps(error_body(exc), ensure_ascii=False))
        else:
            print(f"smartalbum: error: {exc.message}", file=sys.stderr)
        return EXIT_USAGE if isinstance(exc, ConfigError) else EXIT_FAILED
    except KeyboardInterrupt:
        print("smartalbum: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `smartalbum ... | head`: the reader has all it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
