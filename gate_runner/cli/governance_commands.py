"""`diff`, `record` and `replay`: governance of the policy and of the verdicts it gave."""

from __future__ import annotations

import os
from datetime import date
from enum import Enum
from pathlib import Path

import typer

from gate_runner import channel as output
from gate_runner.cli.common import AS_OF_HELP, as_of, guarded
from gate_runner.config import load_policy
from gate_runner.errors import ExitCode, UsageError
from gate_runner.governance.diff.diff_report import render_json, render_text
from gate_runner.governance.diff.policy_diff import diff_sides, loosens
from gate_runner.governance.history.store import file_verdict, open_store
from gate_runner.governance.ref.sides import load_side, load_tree_or_removed
from gate_runner.secrets import secret_set

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
    format: DiffFormat = typer.Option(DiffFormat.text, "--format", help="text or json."),
    debug: bool = DEBUG,
) -> int:
    """What a change does to the gate: every setting that loosens, tightens or is neutral.

    Exits 1 when anything loosens (so a job can require review), else 0; 2 on bad input.
    """

    def work() -> int:
        env = dict(os.environ)
        old = load_side(base or "auto", config, env=env)
        # The working tree's policy; deleted since BASE, it is the empty policy (loosens).
        new = load_side(head, config, env=env) if head else load_tree_or_removed(config, env=env)
        changes = diff_sides(old, new, today=date.today())
        # A value expanded from ${VAR} may be a token: the output leaves through the channel,
        # which scrubs the tokens either policy names and the forge tokens.
        channel = output.current()
        for side in (old, new):
            channel.add_secrets(*secret_set(env, token_env=side.policy.api.token_env).values)
        if format is DiffFormat.json:
            channel.out(render_json(changes))
        else:
            channel.out(render_text(changes, old.label, new.label))
        return ExitCode.BLOCKED if loosens(changes) else ExitCode.OK

    return work()


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
    policy: Path = typer.Option(..., "--policy", help="The candidate policy to judge them by."),
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
        from itertools import chain

        # late: replay's process pool (multiprocessing, ~50 ms) loads only for replay
        from gate_runner.governance.history import replay_report, replay_sources
        from gate_runner.governance.history.replay import replay as rejudge  # late: as above

        judged_on = as_of(on, old=today, old_flag="--today")
        if not verdicts and store is None:
            raise UsageError("nothing to replay: name verdict files or directories, or --store")
        if last is not None and last < 1:
            raise UsageError(f"--last {last}: give a positive number of verdicts")
        candidate = load_policy(policy)
        saved = chain(
            replay_sources.from_paths(verdicts or []),
            # A database store holds every repository's verdicts: replay reads them all.
            replay_sources.from_store(open_store(store, every_repository=True)) if store else (),
        )
        report = rejudge(candidate, saved, today=judged_on, last=last)
        render = {
            ReplayFormat.text: replay_report.render_text,
            ReplayFormat.json: replay_report.render_json,
            ReplayFormat.markdown: replay_report.render_markdown,
        }[format]
        output.current().out(render(report))
        return ExitCode.OK

    return work()


def register(app: typer.Typer) -> None:
    for command in (diff, record, replay):
        app.command(command.__name__)(guarded(command))
