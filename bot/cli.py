"""The command line: ask, console, intents, check, eval, near-misses, misses, telegram, serve.

Every command reads input defensively: malformed UTF-8 is replaced, huge lines
are cut, and one bad line never stops a batch. Exactly one answer per input line.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import fields, replace
from pathlib import Path
from typing import Any, TextIO

from bot.dialogue import Answer, Engine, Policy
from bot.kb import CatalogError, bundled_dir, load_catalog
from bot.lang.messages import bundled_locales
from bot.match import TermRanker, Weights
from bot.serve import render
from bot.serve.lines import read_lines
from bot.serve.misses import MISSES_ENV, MissLog
from bot.tools.misses import top_misses

__all__ = ["main"]


def _print_answer(
    answer: Answer, engine: Engine, as_json: bool, out: TextIO, single_line: bool
) -> None:
    if as_json:
        out.write(json.dumps(answer.to_dict(), ensure_ascii=False) + "\n")
    else:
        text = render.for_console(answer, engine.gettext, related=False)
        out.write((render.one_line(text) if single_line else text) + "\n")
    out.flush()


def _engine(args: argparse.Namespace, **options: Any) -> Engine:
    try:
        return Engine.load(args.intents, default_lang=getattr(args, "lang", None), **options)
    except ValueError as exc:  # a --lang the knowledge base does not speak
        raise _UsageError(f"--lang: {exc}") from None


class _UsageError(Exception):
    """A command-line value that cannot be used; the message says why."""


def cmd_ask(args: argparse.Namespace) -> int:
    engine = _engine(args)
    out = sys.stdout
    if args.question:
        answer = engine.answer(" ".join(args.question), lang=args.lang)
        _print_answer(answer, engine, args.json, out, single_line=False)
        return 0
    for line in read_lines(sys.stdin.buffer):
        answer = engine.answer(line, lang=args.lang)
        _print_answer(answer, engine, args.json, out, single_line=True)
    return 0


def cmd_console(args: argparse.Namespace) -> int:
    # The conversation machinery (asyncio, the stores) only for the commands that talk.
    from bot.serve.console import run_console
    from bot.serve.reload import Reloader

    engine = _engine(args)
    log_path = args.log_misses or os.environ.get(MISSES_ENV)
    misses = MissLog(Path(log_path)) if log_path else None
    if args.no_reload:
        return run_console(engine, as_json=args.json, misses=misses)
    reloader = Reloader(engine.catalog.directory, engine, default_lang=engine.default_lang)
    reloader.install_sighup()
    return run_console(reloader, as_json=args.json, misses=misses)


def cmd_intents(args: argparse.Namespace) -> int:
    engine = _engine(args)
    if args.json:
        catalogue = [i.to_dict(engine.codes) for i in engine.intents]
        print(json.dumps(catalogue, ensure_ascii=False, indent=2))
        return 0
    for intent in engine.intents:
        counts = ", ".join(f"{lang} {len(intent.phrases[lang])}" for lang in engine.codes)
        print(f"{intent.id:<34} {intent.title[engine.default_lang]}  ({counts} phrases)")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from bot.tools.check import check_locales, check_self_match

    directory = Path(args.intents) if args.intents else bundled_dir()
    problems = []
    try:
        catalog = load_catalog(directory)
    except CatalogError as exc:  # each names its file relative to the folder
        problems += [str(p) for p in exc.problems]
        catalog = None
    locales = Path(args.locales) if args.locales else bundled_locales()
    problems += [str(p) for p in check_locales(locales, catalog.codes if catalog else ("en", "tr"))]
    if catalog is not None:
        problems += [str(p) for p in check_self_match(Engine(catalog))]
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s) found", file=sys.stderr)
        return 1
    print(
        f"ok: {len(catalog.intents) if catalog else 0} intents in {directory}, locales in {locales}"
    )
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from bot.tools.eval import EvalError, evaluate, format_report, load_cases

    try:
        policy, weights = _tuning(args.set)
    except ValueError as exc:
        print(f"error: --set: {exc}", file=sys.stderr)
        return 2
    engine = _engine(args, ranker=lambda catalog: TermRanker(catalog, weights), policy=policy)
    files = [Path(f) for f in args.files] or _default_eval_files()
    if not files:
        print("error: no evaluation files given, and no tests/eval/ here", file=sys.stderr)
        return 2
    try:
        cases = load_cases(files, known={i.id for i in engine.intents}, languages=engine.codes)
    except EvalError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    report = evaluate(engine, cases, with_loo=not args.no_loo)
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(format_report(report))
    overall = report.summary()
    status = 0
    if args.fail_under is not None and 100 * overall["accuracy"] < args.fail_under:
        print(
            f"FAIL: accuracy {overall['accuracy']:.1%} is under {args.fail_under}%", file=sys.stderr
        )
        status = 1
    if args.max_false_accept is not None and 100 * overall["false_accept"] > args.max_false_accept:
        print(
            f"FAIL: false-accept {overall['false_accept']:.1%} is over {args.max_false_accept}%",
            file=sys.stderr,
        )
        status = 1
    return status


def _tuning(settings: Sequence[str]) -> tuple[Policy, Weights]:
    """``--set threshold=55 --set contradiction=2.5``: the policy's and the ranker's constants."""
    policy, weights = Policy(), Weights()
    policy_fields = {f.name: f for f in fields(Policy)}
    weight_fields = {f.name: f for f in fields(Weights)}
    for setting in settings:
        name, sep, raw = setting.partition("=")
        name = name.strip().replace("-", "_")
        if not sep or (name not in policy_fields and name not in weight_fields):
            known = ", ".join(sorted({*policy_fields, *weight_fields}))
            raise ValueError(f"{setting!r} is not NAME=VALUE with NAME one of: {known}")
        current = getattr(policy if name in policy_fields else weights, name)
        value = type(current)(float(raw)) if not isinstance(current, int) else int(raw)
        if name in policy_fields:
            policy = replace(policy, **{name: value})
        else:
            weights = replace(weights, **{name: value})
    return policy, weights


def _default_eval_files() -> list[Path]:
    """The development set: every file in the repository's tests/eval/."""
    return sorted((Path(__file__).resolve().parent.parent / "tests" / "eval").glob("*.yaml"))


def cmd_misses(args: argparse.Namespace) -> int:
    path = args.path or os.environ.get(MISSES_ENV)
    if not path:
        print(f"error: give the log's path or set {MISSES_ENV}", file=sys.stderr)
        return 2
    rows = top_misses(Path(path), args.limit)
    if not rows:
        print("no missed questions logged")
        return 0
    for question, count, entry in rows:
        print(
            f"{count:>5}  [{entry.get('lang')}] {question}  (guess: {entry.get('guess')}, {entry.get('score')})"
        )
    return 0


def cmd_near_misses(args: argparse.Namespace) -> int:
    from bot.kb.yaml import write_yaml
    from bot.tools.nearmiss import near_misses

    items = list(near_misses(_engine(args)))
    print("# Near misses made from the knowledge base: every one should be declined or partial.")
    print(write_yaml(items), end="")
    return 0


def _run_front_end(args: argparse.Namespace, module: str, needs: str) -> int:
    """Run a front end whose dependencies are an extra; say which one when it is missing."""
    try:
        main = importlib.import_module(module).main
    except ImportError as exc:
        print(f"error: {needs} ({exc})", file=sys.stderr)
        return 2
    intents = getattr(args, "intents", None)
    return int(main(args.rest, Path(intents) if intents else None))


def cmd_telegram(args: argparse.Namespace) -> int:
    return _run_front_end(
        args,
        "bot.serve.telegram",
        "the Telegram bot needs python-telegram-bot: pip install 'kzbot[telegram]'",
    )


def cmd_serve(args: argparse.Namespace) -> int:
    return _run_front_end(
        args,
        "bot.serve.http",
        "the HTTP server needs Starlette and uvicorn: pip install 'kzbot[server]'",
    )


#: Commands whose options are their own (parsed by the front end, after the command).
_SERVERS = {"telegram": cmd_telegram, "serve": cmd_serve}


def _server_command(arguments: list[str]) -> tuple[str, str | None, list[str]] | None:
    """``[--intents DIR] telegram|serve ...`` split into (command, intents, its options)."""
    intents: str | None = None
    rest = list(arguments)
    while rest and rest[0].startswith("--intents"):
        if rest[0] == "--intents" and len(rest) > 1:
            intents, rest = rest[1], rest[2:]
        elif rest[0].startswith("--intents="):
            intents, rest = rest[0].split("=", 1)[1], rest[1:]
        else:
            return None
    if rest and rest[0] in _SERVERS:
        return rest[0], intents, rest[1:]
    return None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--intents", metavar="DIR", help="knowledge-base directory (default: the bundled one)"
    )
    commands = parser.add_subparsers(dest="command")

    ask = commands.add_parser("ask", help="answer one question, or each line of standard input")
    ask.add_argument(
        "question", nargs="*", help="the question (default: read lines from standard input)"
    )
    ask.add_argument("--json", action="store_true", help="one JSON object per answer")
    ask.add_argument("--lang", help="answer in this language (en, tr)")
    ask.set_defaults(func=cmd_ask)

    console = commands.add_parser("console", help="chat in the terminal (the default)")
    console.add_argument("--json", action="store_true", help="one JSON object per turn")
    console.add_argument("--lang", help="the conversation's starting language (en, tr)")
    console.add_argument(
        "--log-misses", metavar="PATH", help=f"log declined questions here (or set {MISSES_ENV})"
    )
    console.add_argument(
        "--no-reload",
        action="store_true",
        help="do not pick up edited intents/ files while running",
    )
    console.set_defaults(func=cmd_console)

    intents = commands.add_parser("intents", help="list the knowledge base")
    intents.add_argument("--json", action="store_true", help="the catalogue as JSON")
    intents.set_defaults(func=cmd_intents)

    check = commands.add_parser("check", help="validate intents/ and locales/")
    check.add_argument(
        "--locales", metavar="DIR", help="locales directory (default: the bundled one)"
    )
    check.set_defaults(func=cmd_check)

    evaluate = commands.add_parser("eval", help="measure accuracy on labelled questions")
    evaluate.add_argument(
        "files", nargs="*", help="YAML files of {q, intent, lang} (default: the dev set)"
    )
    evaluate.add_argument("--json", action="store_true", help="the report as JSON")
    evaluate.add_argument(
        "--fail-under", type=float, metavar="PCT", help="exit 1 if accuracy is lower"
    )
    evaluate.add_argument(
        "--max-false-accept",
        type=float,
        metavar="PCT",
        help="exit 1 if more off-topic questions are answered",
    )
    evaluate.add_argument(
        "--no-loo", action="store_true", help="skip leave-one-out over the phrases"
    )
    evaluate.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="try another value of a tuning constant (threshold, margin, or a ranker weight)",
    )
    evaluate.set_defaults(func=cmd_eval)

    misses = commands.add_parser("misses", help="the most frequent declined questions")
    misses.add_argument("path", nargs="?", help=f"the log (default: ${MISSES_ENV})")
    misses.add_argument("--limit", type=int, default=20)
    misses.set_defaults(func=cmd_misses)

    near = commands.add_parser(
        "near-misses",
        help="questions the knowledge base cannot answer, made from it (YAML for eval)",
    )
    near.set_defaults(func=cmd_near_misses)

    telegram = commands.add_parser("telegram", help="run the Telegram bot", add_help=False)
    telegram.add_argument("rest", nargs=argparse.REMAINDER)
    telegram.set_defaults(func=cmd_telegram)

    serve = commands.add_parser("serve", help="serve the HTTP API and the web chat", add_help=False)
    serve.add_argument("rest", nargs=argparse.REMAINDER)
    serve.set_defaults(func=cmd_serve)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    arguments = list(sys.argv[1:] if argv is None else argv)
    server = _server_command(arguments)
    if server is not None:
        # Everything after `telegram` or `serve` is that front end's own options
        # (argparse's REMAINDER will not take an option first).
        command, intents, rest = server
        return _SERVERS[command](argparse.Namespace(rest=rest, intents=intents))
    parser = build_parser()
    args = parser.parse_args(arguments)
    if args.command is None:
        args = parser.parse_args([*arguments, "console"])
    try:
        return int(args.func(args))
    except _UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except CatalogError as exc:
        print(f"error: the knowledge base has {len(exc.problems)} problem(s):", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        sys.stderr.close()
        return 0
