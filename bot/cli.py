"""The command line: ask, console, intents, check, eval, misses, telegram.

Every command reads input defensively: malformed UTF-8 is replaced, huge lines
are cut, and one bad line never stops a batch. Exactly one answer per input line.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import BinaryIO, TextIO

from bot._catalog import LANGS, CatalogError, bundled_dir, load_catalog
from bot._engine import Answer, Engine
from bot._i18n import bundled_locales
from bot._misses import MissLog, top_misses
from bot._reload import Reloader
from bot._text import MAX_INPUT_CHARS

__all__ = ["main"]

MISSES_ENV = "KZBOT_MISSES_LOG"


def _stdin_lines(stream: BinaryIO | None = None) -> Iterator[str]:
    """Lines of standard input, decoded leniently and cut to a safe length."""
    source = stream if stream is not None else sys.stdin.buffer
    while True:
        raw = source.readline(MAX_INPUT_CHARS * 4)
        if not raw:
            return
        if not raw.endswith(b"\n"):
            # An over-long line: keep its start, skip the rest of it.
            while True:
                rest = source.readline(1 << 16)
                if not rest or rest.endswith(b"\n"):
                    break
        yield raw.decode("utf-8", errors="replace").rstrip("\r\n")


def _one_line(answer: Answer) -> str:
    return " ".join(line.strip() for line in answer.text.splitlines() if line.strip())


def _print_answer(answer: Answer, as_json: bool, out: TextIO, single_line: bool) -> None:
    if as_json:
        out.write(json.dumps(answer.to_dict(), ensure_ascii=False) + "\n")
    elif single_line:
        out.write(_one_line(answer) + "\n")
    else:
        out.write(answer.text + "\n")
    out.flush()


def _engine(args: argparse.Namespace) -> Engine:
    return Engine.load(args.intents, default_lang=getattr(args, "lang", None) or "en")


def cmd_ask(args: argparse.Namespace) -> int:
    engine = _engine(args)
    out = sys.stdout
    if args.question:
        answer = engine.answer(" ".join(args.question), lang=args.lang)
        _print_answer(answer, args.json, out, single_line=False)
        return 0
    for line in _stdin_lines():
        _print_answer(engine.answer(line, lang=args.lang), args.json, out, single_line=True)
    return 0


def cmd_console(args: argparse.Namespace) -> int:
    from bot._console import run_console

    engine = _engine(args)
    log_path = args.log_misses or os.environ.get(MISSES_ENV)
    misses = MissLog(Path(log_path)) if log_path else None
    reloader = None
    if not args.no_reload:
        reloader = Reloader(engine.catalog.directory, engine, default_lang=engine.default_lang)
        reloader.install_sighup()
    return run_console(engine, as_json=args.json, misses=misses, reloader=reloader)


def cmd_intents(args: argparse.Namespace) -> int:
    engine = _engine(args)
    if args.json:
        catalogue = [
            {
                "id": i.id,
                "topic": i.topic,
                "title": i.title,
                "phrases": {lang: list(i.phrases[lang]) for lang in LANGS},
                "answer": i.answer,
                "source": list(i.source),
                "related": list(i.related),
            }
            for i in engine.intents
        ]
        print(json.dumps(catalogue, ensure_ascii=False, indent=2))
        return 0
    for intent in engine.intents:
        counts = ", ".join(f"{lang} {len(intent.phrases[lang])}" for lang in LANGS)
        print(f"{intent.id:<34} {intent.title['en']}  ({counts} phrases)")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from bot._check import check_locales

    directory = Path(args.intents) if args.intents else bundled_dir()
    problems = []
    try:
        catalog = load_catalog(directory)
    except CatalogError as exc:
        problems += [
            f"{directory}/{p}" if p.line or p.file != str(directory) else str(p)
            for p in exc.problems
        ]
        catalog = None
    locales = Path(args.locales) if args.locales else bundled_locales()
    problems += [str(p) for p in check_locales(locales)]
    if catalog is not None:
        from bot._check import check_self_match

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
    from bot._eval import EvalError, evaluate, format_report, load_cases

    engine = _engine(args)
    files = [Path(f) for f in args.files] or _default_eval_files()
    if not files:
        print("error: no evaluation files given, and no tests/eval/ here", file=sys.stderr)
        return 2
    try:
        cases = load_cases(files, known={i.id for i in engine.intents})
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


def cmd_telegram(args: argparse.Namespace) -> int:
    try:
        from bot.telegram import main as telegram_main  # type: ignore[import-untyped,unused-ignore]
    except ImportError as exc:
        print(
            f"error: the Telegram bot needs python-telegram-bot: pip install 'kzbot[telegram]' ({exc})",
            file=sys.stderr,
        )
        return 2
    return int(telegram_main(args.rest))


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
    ask.add_argument("--lang", choices=LANGS, help="answer in this language")
    ask.set_defaults(func=cmd_ask)

    console = commands.add_parser("console", help="chat in the terminal (the default)")
    console.add_argument("--json", action="store_true", help="one JSON object per turn")
    console.add_argument("--lang", choices=LANGS, help="the conversation's starting language")
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
    evaluate.set_defaults(func=cmd_eval)

    misses = commands.add_parser("misses", help="the most frequent declined questions")
    misses.add_argument("path", nargs="?", help=f"the log (default: ${MISSES_ENV})")
    misses.add_argument("--limit", type=int, default=20)
    misses.set_defaults(func=cmd_misses)

    telegram = commands.add_parser("telegram", help="run the Telegram bot", add_help=False)
    telegram.add_argument("rest", nargs=argparse.REMAINDER)
    telegram.set_defaults(func=cmd_telegram)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["telegram"]:
        # Everything after `telegram` is the bot's own options (argparse's
        # REMAINDER will not take an option first).
        return cmd_telegram(argparse.Namespace(rest=arguments[1:]))
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        args = parser.parse_args([*(argv or sys.argv[1:]), "console"])
    try:
        return int(args.func(args))
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
