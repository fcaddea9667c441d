"""`diff`, `record` and `replay`: governance of the policy and of the verdicts it gave."""

from __future__ import annotations

import os
from datetime import date
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from gate_runner import channel as output
from gate_runner.cli.common import AS_OF_HELP, as_of, guarded
from gate_runner.config import load_policy, read_local_file
from gate_runner.errors import ExitCode, UsageError
from gate_runner.secrets import loaded_policy_secrets

if TYPE_CHECKING:
    from gate_runner.governance.ref.sides import PolicySide

CONFIG = typer.Option(
    Path("sepurux.yml"), "--config", "-c", help="The policy file (path in a ref)."
)
DEBUG = typer.Option(False, "--debug", help="Show a traceback for internal errors.")


class DiffFormat(str, Enum):
    text = "text"
    json = "json"


def diff(
    base: str | None = typer.Argument(
        None,
        help="A git ref, REF:path or auto (default: the PR's target branch); else a policy file "
        "written as one (./name, /path or *.yml).",
    ),
    head: str | None = typer.Argument(
        None,
        help="A git ref or REF:path; else a policy file written as one (default: the working "
        "tree's --config).",
    ),
    config: Path = CONFIG,
    discover: bool = typer.Option(
        False,
        "--discover",
        help="Every sepurux.yml under this directory, in the working tree or at BASE (a ref).",
    ),
    format: DiffFormat = typer.Option(DiffFormat.text, "--format", help="text or json."),
    debug: bool = DEBUG,
) -> int:
    """What a change does to the gate: every setting that loosens, tightens or is neutral.

    Exits 1 when anything loosens (so a job can require review), else 0; 2 on bad input.
    """

    def work() -> int:
        # late: `--help` imports every command module; the diff's core loads when it runs
        from gate_runner.governance.diff.diff_report import render_json, render_text
        from gate_runner.governance.diff.policy_diff import diff_sides, loosens  # late: as above
        from gate_runner.governance.ref.sides import load_side, load_tree_or_removed  # late: above

        env = dict(os.environ)
        if discover:
            if head is not None:
                raise UsageError("diff --discover compares BASE with the working tree: drop HEAD")
            if config != CONFIG.default:
                raise UsageError("diff --discover finds every sepurux.yml: drop --config")
            return diff_discovered(base or "auto", env, format)
        old = load_side(base or "auto", config, env=env)
        # The working tree's policy; deleted since BASE, it is the empty policy (loosens).
        new = load_side(head, config, env=env) if head else load_tree_or_removed(config, env=env)
        changes = diff_sides(old, new, today=date.today())
        _scrub_tokens_of((old, new), env)
        if format is DiffFormat.json:
            output.current().out(render_json(changes))
        else:
            output.current().out(render_text(changes, old.label, new.label))
        return ExitCode.BLOCKED if loosens(changes) else ExitCode.OK

    return work()


def _scrub_tokens_of(sides: tuple[PolicySide, ...], env: dict[str, str]) -> None:
    """A value expanded from ${VAR} may be a token: the output leaves through the channel,
    which scrubs the tokens (api.token_env, every extends' auth.env) each policy names and
    the forge tokens."""
    channel = output.current()
    for side in sides:
        channel.add_secrets(*loaded_policy_secrets(env, side.policy).values)


def diff_discovered(base: str, env: dict[str, str], format: DiffFormat) -> int:
    """`diff --discover`: each policy under the working directory, at BASE and in the tree."""
    # late: `--help` imports every command module; the diff's core loads when it runs
    from gate_runner.governance.diff.diff_report import (
        PolicyDiff,
        render_json_many,
        render_text_many,
    )
    from gate_runner.governance.diff.policy_diff import diff_sides, loosens  # late: as above
    from gate_runner.governance.ref.discover_ref import discovered_pairs  # late: as above

    today = date.today()
    diffs = []
    for pair in discovered_pairs(Path("."), base, env):
        _scrub_tokens_of((pair.base, pair.head), env)
        changes = tuple(diff_sides(pair.base, pair.head, today=today))
        diffs.append(
            PolicyDiff(
                str(pair.config),
                pair.base.label,
                pair.head.label,
                changes,
                introduced=pair.introduced,
                removed=pair.head.removed,
            )
        )
    render = render_json_many(diffs) if format is DiffFormat.json else render_text_many(diffs, base)
    output.current().out(render)
    anything_loosens = any(loosens(list(d.changes)) for d in diffs)
    return ExitCode.BLOCKED if anything_loosens else ExitCode.OK


STORE_HELP = (
    "A directory (a CI cache or artifact restores it), git-notes (refs/notes/gate-runner), "
    "sqlite:PATH, or postgresql://USER@HOST/DB (password in PGPASSWORD; docs/history.md)."
)


def record(
    verdict: Path = typer.Argument(..., help="The verdict JSON to file."),
    store: str = typer.Option(..., "--store", help=STORE_HELP),
    commit: str | None = typer.Option(
        None, "--commit", help="File it under this commit instead of the verdict's ci.commit."
    ),
    debug: bool = DEBUG,
) -> int:
    """File a verdict under its commit, so later PRs find it with --baseline auto.

    Run it on the default branch after `check`.
    """

    def work() -> int:
        # late: `--help` imports every command module; the store and verdict model load here
        from gate_runner.governance.history.store import file_verdict, open_store

        sha, where = file_verdict(open_store(store), verdict, commit=commit)
        # A database store's `where` says the repository, the branch and if it is the default.
        output.current().line(f"recorded the verdict of {sha} in {where}", err=False)
        return ExitCode.OK

    return work()


class ReplayFormat(str, Enum):
    text = "text"
    json = "json"
    markdown = "markdown"


def replay(
    verdicts: list[Path] | None = typer.Argument(
        None, help="Verdict files, or directories of them (searched recursively)."
    ),
    policy: Path = typer.Option(
        ...,
        "--policy",
        help="The candidate policy: it takes the place of the file it replaces in each "
        "verdict's own policy (matched by URL or path, else by file name).",
    ),
    replaces: str | None = typer.Option(
        None,
        "--replaces",
        metavar="URL|PATH",
        help="The file the candidate replaces, when its name matches more than one.",
    ),
    store: str | None = typer.Option(
        None, "--store", help="Also every verdict in this store: " + STORE_HELP
    ),
    last: int | None = typer.Option(None, "--last", help="Only the N most recent verdicts."),
    on: str | None = typer.Option(None, "--as-of", metavar="YYYY-MM-DD", help=AS_OF_HELP),
    today: str | None = typer.Option(None, "--today", hidden=True),
    format: ReplayFormat = typer.Option(
        ReplayFormat.text, "--format", help="text, json or markdown."
    ),
    debug: bool = DEBUG,
) -> int:
    """Re-judge saved verdicts under a candidate policy: which merges would it have blocked?"""

    def work() -> int:
        import gc
        from itertools import chain

        # late: replay's process pool (multiprocessing, ~50 ms) loads only for replay
        from gate_runner.governance.history import replay_report, replay_sources
        from gate_runner.governance.history.replay import replay as rejudge  # late: as above
        from gate_runner.governance.history.replay_judge import Candidate  # late: as above
        from gate_runner.governance.history.store import open_store  # late: as above

        judged_on = as_of(on, old=today, old_flag="--today")
        if not verdicts and store is None:
            raise UsageError("nothing to replay: name verdict files or directories, or --store")
        if last is not None and last < 1:
            raise UsageError(f"--last {last}: give a positive number of verdicts")
        env = dict(os.environ)
        candidate = Candidate(
            load_policy(policy, env=env),
            read_local_file(policy.absolute()),
            Path(os.path.relpath(policy)).as_posix(),
            replaces=replaces,
            env=env,
        )
        saved = chain(
            replay_sources.from_paths(verdicts or []),
            # A database store holds every repository's verdicts: replay reads them all (with
            # --last, only the newest that many: the limit goes into the query).
            replay_sources.from_store(open_store(store, every_repository=True), last)
            if store
            else (),
        )
        render = {
            ReplayFormat.text: replay_report.render_text,
            ReplayFormat.json: replay_report.render_json,
            ReplayFormat.markdown: replay_report.render_markdown,
        }[format]
        # Parsed verdicts, results and the report are trees: the cyclic collector would walk
        # the millions of them again and again and free nothing (issue 22: a fifth of the time).
        gc.disable()
        try:
            # JSON's entries are written by the workers as they judge (issue 22).
            entry = replay_report.json_entry if format is ReplayFormat.json else None
            text = render(rejudge(candidate, saved, today=judged_on, last=last, entry=entry))
        finally:
            gc.enable()
        output.current().out(text)
        return ExitCode.OK

    return work()


def register(app: typer.Typer) -> None:
    for command in (diff, record, replay):
        app.command(command.__name__)(guarded(command))
