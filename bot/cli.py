"""The command line: ask, console, intents, check, eval, near-misses, misses, compile, telegram, serve.

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
import time
from collections.abc import Sequence
from dataclasses import fields, replace
from pathlib import Path
from typing import Any, TextIO

from bot.dialogue import Answer, Engine, Policy
from bot.kb import CatalogError, bundled_dir, load_catalog
from bot.lang.messages import bundled_locales
from bot.match import TermRanker, Weights, compiled
from bot.serve import render
from bot.serve.lines import read_lines
from bot.serve.misses import MISSES_ENV, MissLog
from bot.tools.misses import (
    MissesError,
    Suggestion,
    additions,
    eval_document,
    format_suggestions,
    group_misses,
    phrases_document,
    read_misses,
    suggest,
    top_misses,
)

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
        return Engine.load(
            args.intents,
            default_lang=getattr(args, "lang", None),
            cache_dir=getattr(args, "cache_dir", None) or "auto",
            **options,
        )
    except ValueError as exc:  # a --lang the knowledge base does not speak
        raise _UsageError(f"--lang: {exc}") from None


class _UsageError(Exception):
    """A command-line value that cannot be used; the message says why."""


def cmd_ask(args: argparse.Namespace) -> int:
    engine = _engine(args)
    out = sys.stdout
    questions = [" ".join(args.question)] if args.question else read_lines(sys.stdin.buffer)
    for question in questions:
        answer = engine.answer(question, lang=args.lang)
        if not args.explain:
            _print_answer(answer, engine, args.json, out, single_line=not args.question)
            continue
        why = engine.explain(question, lang=args.lang)
        if args.json:
            out.write(
                json.dumps({**answer.to_dict(), "explain": why.to_dict()}, ensure_ascii=False)
            )
            out.write("\n")
        else:
            _print_answer(answer, engine, False, out, single_line=False)
            out.write(why.format() + "\n\n")
        out.flush()
    return 0


def cmd_compile(args: argparse.Namespace) -> int:
    """Build (or check) the compiled index, so that a read-only deployment only opens it."""
    cache = args.cache_dir or "auto"
    directory = compiled.default_cache_dir() if cache == "auto" else Path(cache)
    args.cache_dir = str(directory)
    if directory is None or str(directory) == "none":
        raise _UsageError("--cache-dir: compiling needs a cache directory")
    started = time.perf_counter()
    engine = _engine(args)
    for code in engine.codes:
        path = compiled.index_path(directory, engine.catalog.directory, code)
        if not path.exists():
            print(f"error: could not write {path}", file=sys.stderr)
            return 1
        print(f"{path} ({path.stat().st_size:,} bytes)")
    print(f"{len(engine.intents)} intents compiled in {time.perf_counter() - started:.2f} s")
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
    from bot.tools.check import Findings, check_engine, check_locales

    directory = Path(args.intents) if args.intents else bundled_dir()
    problems: list[str] = []
    engine = None
    try:
        engine = Engine(load_catalog(directory))
    except CatalogError as exc:  # each names its file relative to the folder
        problems += [str(p) for p in exc.problems]
    locales = Path(args.locales) if args.locales else bundled_locales()
    codes = engine.codes if engine is not None else ("en", "tr")
    problems += [str(p) for p in check_locales(locales, codes)]
    findings = check_engine(engine) if engine is not None else Findings()
    problems += [str(p) for p in findings.problems]
    for problem in problems:
        print(problem, file=sys.stderr)
    if not args.quiet:
        for notice in findings.notices:
            print(f"notice: {notice}", file=sys.stderr)
    if engine is not None and (args.diff or args.report):
        status = _check_diff(args, engine, findings, directory)
        if status:
            return status
    if problems:
        print(f"{len(problems)} problem(s) found", file=sys.stderr)
        return 1
    notices = len(findings.notices)
    note = (
        f"; {notices} notice(s): phrases that read more like another intent's question"
        if notices
        else ""
    )
    print(f"ok: {len(engine.intents) if engine else 0} intents in {_shown(directory)}{note}")
    return 0


def _check_diff(args: argparse.Namespace, engine: Engine, findings: Any, directory: Path) -> int:
    """``check --diff REF`` and ``check --report FILE``: what the edit did to the answers."""
    from bot.tools.diff import DiffError, compare, snapshot, snapshot_at
    from bot.tools.eval import EvalError, load_cases

    files = [Path(f) for f in args.eval] if args.eval else _default_eval_files()
    try:
        cases = load_cases(files, known={i.id for i in engine.intents}, languages=engine.codes)
    except EvalError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    now = snapshot(engine, cases, findings)
    if args.report:
        try:
            Path(args.report).write_text(now.to_json(), encoding="utf-8")
        except OSError as exc:
            print(f"error: cannot write {args.report}: {exc.strerror}", file=sys.stderr)
            return 2
        print(f"report written to {args.report}")
    if args.diff:
        try:
            before = snapshot_at(args.diff, directory, cases)
        except DiffError as exc:
            print(f"error: --diff {args.diff}: {exc}", file=sys.stderr)
            return 2
        print(compare(before, now).format())
    return 0


def _shown(directory: Path) -> str:
    """A folder as the user knows it: relative to where they are, when it is below."""
    try:
        return str(directory.resolve().relative_to(Path.cwd().resolve())) or "."
    except ValueError:
        return str(directory)


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
    if args.limit < 1:
        print("error: --limit must be 1 or more", file=sys.stderr)
        return 2
    if args.output and not args.export:
        print("error: -o/--output goes with --export", file=sys.stderr)
        return 2
    if args.apply and args.export != "phrases":
        print("error: --apply goes with --export phrases", file=sys.stderr)
        return 2
    if args.only and not args.apply:
        print("error: --only goes with --apply", file=sys.stderr)
        return 2
    try:
        if args.suggest or args.export:
            return _learn_from_misses(args, Path(path))
        rows = top_misses(Path(path), args.limit)
    except MissesError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not rows:
        print("no missed questions logged")
        return 0
    for question, count, entry in rows:
        print(
            f"{count:>5}  [{entry.get('lang')}] {question}  (guess: {entry.get('guess')}, {entry.get('score')})"
        )
    return 0


def _learn_from_misses(args: argparse.Namespace, path: Path) -> int:
    """``misses --suggest``, ``--export phrases|eval`` and ``--export phrases --apply``."""
    engine = _engine(args)
    groups = group_misses(read_misses(path), engine)
    suggestions = suggest(engine, groups[: args.limit])
    if args.suggest:
        print(format_suggestions(suggestions) or "no missed questions logged")
        return 0
    write = phrases_document if args.export == "phrases" else eval_document
    document = write(suggestions, path.name)
    if args.output:
        try:
            Path(args.output).write_text(document, encoding="utf-8")
        except OSError as exc:
            print(f"error: cannot write {args.output}: {exc.strerror}", file=sys.stderr)
            return 2
    elif not args.apply:
        sys.stdout.write(document)
    return _apply_phrases(engine, suggestions, args.only) if args.apply else 0


def _apply_phrases(engine: Engine, suggestions: list[Suggestion], only: list[str] | None) -> int:
    """Add the suggested phrases to the knowledge base's files; undo it unless `check` passes
    and no question of the development set is answered worse than before."""
    from bot.tools.diff import compare, snapshot
    from bot.tools.eval import load_cases
    from bot.tools.phrases import ApplyError, apply_plan, plan_phrases

    directory = engine.catalog.directory
    wanted = {
        intent: {lang: [s.group.question for s in items] for lang, items in languages.items()}
        for intent, languages in additions(suggestions).items()
        if not only or intent in only
    }
    known = {i.id for i in engine.intents}
    cases = load_cases(_default_eval_files(), known=known, languages=engine.codes)
    before = snapshot(engine, cases)
    broken: list[str] = []

    def passes() -> bool:
        # The same validation as `python -m bot check`, reporting its result the same way...
        if cmd_check(check) != 0:
            return False
        # ...and the development set answered no worse (a phrase can pass its own check
        # and still take another intent's questions).
        after = snapshot(Engine(load_catalog(directory)), cases)
        broken.extend(
            f"[{lang}] {q!r}: {was} -> {now}"
            for q, lang, _, was, now in compare(before, after).broken
        )
        return not broken

    try:
        plan = plan_phrases(directory, wanted)
        for skip in plan.skipped:
            print(f"skipped {skip.intent} ({skip.lang}): {skip.phrase}  ({skip.reason})")
        if not plan.added:
            print("no phrases to add")
            return 0
        # The same validation as `python -m bot check`, reporting its result the same way.
        check = argparse.Namespace(
            intents=str(directory), locales=None, quiet=True, diff=None, report=None, eval=None
        )
        kept = apply_plan(plan, check=passes)
    except ApplyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not kept:
        reason = (
            "they change answers of the development set:\n  " + "\n  ".join(broken)
            if broken
            else "the knowledge base does not pass its check with them"
        )
        print(
            f"error: the phrases were not added, {reason}\n"
            "the files are back as they were; --only INTENT applies one intent's phrases",
            file=sys.stderr,
        )
        return 1
    for added in plan.added:
        print(f"added {added.intent} ({added.lang}) at {added.file}:{added.line}: {added.phrase}")
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
    parser.add_argument(
        "--cache-dir",
        metavar="DIR",
        help="where compiled indexes are kept ('none': nowhere; default: $KZBOT_CACHE_DIR, "
        "else ~/.cache/kzbot)",
    )
    commands = parser.add_subparsers(dest="command")
    build = commands.add_parser(
        "compile", help="build the knowledge base's compiled index ahead of time"
    )
    build.set_defaults(func=cmd_compile)

    ask = commands.add_parser("ask", help="answer one question, or each line of standard input")
    ask.add_argument(
        "question", nargs="*", help="the question (default: read lines from standard input)"
    )
    ask.add_argument("--json", action="store_true", help="one JSON object per answer")
    ask.add_argument("--lang", help="answer in this language (en, tr)")
    ask.add_argument(
        "--explain",
        action="store_true",
        help="also say why: the part read, its frame, each candidate's score and verdict",
    )
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
    check.add_argument(
        "--diff",
        metavar="REF",
        help="what the edit did: compare with a git revision (HEAD, main, a commit) or a "
        "report saved with --report",
    )
    check.add_argument(
        "--report", metavar="FILE", help="save how this knowledge base answers, for --diff"
    )
    check.add_argument(
        "--eval",
        metavar="FILE",
        action="append",
        help="labelled questions for --diff/--report (default: the development set)",
    )
    check.add_argument("-q", "--quiet", action="store_true", help="problems only, no notices")
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
    misses.add_argument("--limit", type=int, default=20, help="at most this many (groups)")
    learn = misses.add_mutually_exclusive_group()
    learn.add_argument(
        "--suggest",
        action="store_true",
        help="group near-duplicates, each with the intent it most likely belongs to",
    )
    learn.add_argument(
        "--export",
        choices=["phrases", "eval"],
        help="the groups as YAML to review: phrases per intent, or evaluation questions",
    )
    misses.add_argument("-o", "--output", metavar="FILE", help="write the export here")
    misses.add_argument(
        "--only",
        metavar="INTENT",
        action="append",
        help="with --apply: only the phrases suggested for this intent (repeat for more)",
    )
    misses.add_argument(
        "--apply",
        action="store_true",
        help="with --export phrases: add them to the intent files (then check; undone if it fails)",
    )
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
