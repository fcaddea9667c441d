"""Time to verdict: how late after the last run finished does each client know, and at what cost.

Every client is a child process against its own sandbox (in this process, on 127.0.0.1), with
one batch-mode campaign finishing at a known time (created + duration):

* gate: ``gate-runner check`` with a one-campaign policy;
* loop 5 s / loop 1 s: create, sleep, GET, repeat, as the curl recipe would be scripted
  (Python + requests, this file with ``--fixed-loop``);
* sepurux CLI: the official ``sepurux run campaign`` (pip-installed in a throwaway venv).

Overshoot = the child's exit minus the moment its run finished. Durations get offsets of
(r + 0.5) / reps seconds so fixed loops are not flattered by runs ending on a whole second.

Run: .venv/bin/python bench/time_to_verdict.py [--durations 1,3,10,30,90] [--reps 3]
"""

from __future__ import annotations

import argparse
import itertools
import math
import random
import re
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path


def fixed_loop(base_url: str, token: str, campaign_id: str, interval: float) -> int:
    """What a CI script does with curl: create, then sleep/GET until the decision is in."""
    import requests

    session = requests.Session()
    session.headers["X-Sepurux-Token"] = token
    body = {"campaign_id": campaign_id, "trace_id": str(uuid.uuid4())}
    created = session.post(f"{base_url}/v1/ci/runs", json=body, timeout=30).json()
    batch = created.get("batch_id")
    path = f"batch/{batch}" if batch else f"runs/{created['run_id']}"
    url = f"{base_url}/v1/ci/{path}"
    for _ in range(100_000):  # bounded; the sandbox always finishes
        time.sleep(interval)
        answer = session.get(url, timeout=30).json()
        if answer.get("decision") != "pending":
            return 0 if answer.get("decision") == "pass" else 1
    return 2


if __name__ == "__main__" and len(sys.argv) == 6 and sys.argv[1] == "--fixed-loop":
    sys.exit(fixed_loop(sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5])))

from _common import (  # noqa: E402 - the fixed loop above stays free of these imports
    GATE_RUNNER,
    REPO,
    Child,
    Stamps,
    clean_env,
    machine,
    max_in_window,
    median,
    run_finishes,
    table,
)

from gate_runner.api import PollPolicy  # noqa: E402
from gate_runner.sandbox import Sandbox, Scenario  # noqa: E402

SEPURUX_VERSION = "0.7.0"
SEPURUX_VENV = Path(tempfile.gettempdir()) / f"gate-runner-bench-sepurux-{SEPURUX_VERSION}"
POLL_ROUTES = ("GET /v1/ci/runs/{run_id}", "GET /v1/ci/batch/{batch_id}")
SEPURUX_GATE_LINE = re.compile(r"^Quality gate (PASSED|FAILED):", re.MULTILINE)
CLIENTS = ("gate", "loop 5 s", "loop 1 s", "sepurux CLI")


def sepurux_cli() -> tuple[str | None, str]:
    """The official CLI in a throwaway venv under /tmp: (path or None, why not)."""
    import subprocess

    dev_extra = Path(sys.executable).with_name("sepurux")  # installed by the dev extra
    if dev_extra.exists():
        return str(dev_extra), ""
    exe = SEPURUX_VENV / "bin" / "sepurux"
    if exe.exists():
        return str(exe), ""
    try:
        subprocess.run([sys.executable, "-m", "venv", str(SEPURUX_VENV)], check=True)
        subprocess.run(
            [str(SEPURUX_VENV / "bin" / "pip"), "install", "-q", f"sepurux=={SEPURUX_VERSION}"],
            check=True,
            capture_output=True,
            timeout=300,
        )
    except (subprocess.SubprocessError, OSError) as error:
        return None, f"pip install sepurux=={SEPURUX_VERSION} failed: {error}"
    return (str(exe), "") if exe.exists() else (None, "the sepurux package has no CLI")


@dataclass
class Job:
    client: str
    nominal: float
    duration: float
    name: str
    sandbox: Sandbox
    stamps: Stamps
    child: Child | None = None
    error: str = ""
    results: dict[str, float] = field(default_factory=dict)


def argv_for(job: Job, workdir: Path, cli: str | None) -> list[str]:
    url, token = job.sandbox.url, job.sandbox.token
    campaign_id = job.sandbox.scenario.campaigns[0].id
    if job.client == "gate":
        policy = workdir / f"{job.name}.yml"
        policy.write_text(
            "version: 1\n"
            "gate: {timeout: 600}\n"
            "enforcement: {mode: hard}\n"
            "thresholds: {min_pass_rate: 0.85, max_unsafe: 0}\n"
            f"campaigns:\n  {job.name}: {{trace_id: {uuid.uuid4()}}}\n"
        )
        verdict = workdir / f"{job.name}.verdict.json"
        return [GATE_RUNNER, "check", "--config", str(policy), "--api-url", url,
                "--verdict", str(verdict)]  # fmt: skip
    if job.client.startswith("loop"):
        interval = job.client.split()[1]
        return [sys.executable, __file__, "--fixed-loop", url, token, campaign_id, interval]
    assert cli is not None
    return [cli, "run", "campaign", "--campaign", job.name, "--base-url", url,
            "--api-key", token, "--poll-interval", "5", "--timeout", "600"]  # fmt: skip


def measure(durations: list[float], reps: int, stagger: float) -> tuple[list[Job], str]:
    cli, why_not = sepurux_cli()
    clients = [c for c in CLIENTS if c != "sepurux CLI" or cli]
    jobs: list[Job] = []
    for client in clients:
        for nominal in durations:
            for rep in range(reps):
                name = f"{client.replace(' ', '')}-{nominal:g}s-{rep}"
                duration = nominal + (rep + 0.5) / reps
                scenario = Scenario.from_dict(
                    {"campaigns": [{"name": name, "duration": duration, "mode": "batch"}]}
                )
                sandbox = Sandbox(scenario).start()
                jobs.append(Job(client, nominal, duration, name, sandbox, Stamps(sandbox)))
    random.Random(7).shuffle(jobs)  # launch order only
    with tempfile.TemporaryDirectory() as tmp:
        env = clean_env(SEPURUX_API_KEY="", SEPURUX_API_BASE_URL="")
        threads = []
        for index, job in enumerate(jobs):
            job_env = dict(env, SEPURUX_API_KEY=job.sandbox.token,
                           SEPURUX_API_BASE_URL=job.sandbox.url)  # fmt: skip
            job.child = Child(argv_for(job, Path(tmp), cli), job_env, cwd=Path(tmp))
            thread = threading.Thread(target=_launch, args=(job, index * stagger), daemon=True)
            thread.start()
            threads.append(thread)
        for thread in threads:
            thread.join()
    for job in jobs:
        _score(job)
        job.sandbox.stop()
    return jobs, why_not


def _launch(job: Job, delay: float) -> None:
    time.sleep(delay)
    assert job.child is not None
    job.child.run(timeout=max(job.duration * 3, 120))


def reached_verdict(client: str, returncode: int | None, output: str) -> bool:
    """Whether the child ended with its own verdict, not with an error that exits 1 too."""
    if client == "sepurux CLI":
        # The official CLI exits 1 on any exception as well as on a failed gate: only its
        # "Quality gate PASSED/FAILED" line, with the exit code that goes with it, is a verdict.
        found = SEPURUX_GATE_LINE.search(output)
        return found is not None and returncode == (0 if found.group(1) == "PASSED" else 1)
    return returncode in (0, 1)


def _score(job: Job) -> None:
    child = job.child
    assert child is not None
    finishes = run_finishes(job.sandbox)
    if len(finishes) != 1 or not reached_verdict(job.client, child.returncode, child.output):
        job.error = f"exit {child.returncode}, {len(finishes)} runs: {child.output[-300:]}"
        return
    (_, finished), = finishes.values()  # fmt: skip
    stamps = job.stamps.snapshot()
    polls = sorted(t for t, key, _ in stamps if key in POLL_ROUTES)
    gaps = [b - a for a, b in itertools.pairwise(polls)]
    job.results = {
        "overshoot": child.exited - finished,
        "requests": len(stamps),
        "polls": len(polls),
        "poll_rate": 1 / min(gaps) if gaps else 0.0,
        "window": max_in_window(t for t, _, _ in stamps),
        "tail": child.exited - max(t for t, _, _ in stamps),
    }


def schedule_table(durations: list[float]) -> str:
    """Candidate schedules, computed: mean polls and mean overshoot over runs of T to 1.25 T."""
    candidates = {
        "fixed 1 s": None,
        "0.5 s floor, 20% of elapsed, cap 5 (old default)": PollPolicy(0.5, 1.5, 5.0, 0.2),
        "0.6 s floor, 20% of elapsed, cap 5": PollPolicy(0.6, 1.5, 5.0, 0.2),
        "0.6 s floor, 10% of elapsed, cap 5": PollPolicy(0.6, 1.5, 5.0, 0.1),
        "0.6 s floor, 5% of elapsed, cap 5": PollPolicy(0.6, 1.5, 5.0, 0.05),
        "0.9 s floor, 3% of elapsed, cap 5": PollPolicy(0.9, 1.5, 5.0, 0.03),
        "0.7 s floor, 10% of elapsed, cap 5": PollPolicy(0.7, 1.5, 5.0, 0.1),
        f"default now {PollPolicy()}": PollPolicy(),
    }
    rows = []
    for name, policy in candidates.items():
        cells: list[str] = []
        total = 0.0
        for nominal in durations:
            samples = [nominal * (1 + i / 400) for i in range(100)]  # T .. 1.25 T
            if policy is None:
                results = [(math.ceil(d), math.ceil(d) - d) for d in samples]
            else:
                results = [policy.predict(d) for d in samples]
            polls = sum(r[0] for r in results) / len(results)
            total += polls
            cells.append(f"{polls:.1f} / {sum(r[1] for r in results) / len(results):.2f}")
        rows.append([name, *cells, f"{total:.0f}"])
    headers = ["schedule", *[f"{d:g} s: polls / overshoot" for d in durations], "polls total"]
    return table(headers, rows)


def report(jobs: list[Job], why_not: str, durations: list[float], reps: int) -> None:
    print(f"## Time to verdict ({reps} runs per cell, medians; {machine()})\n")
    rows = []
    totals: dict[str, float] = {}
    for client in CLIENTS:
        mine = [j for j in jobs if j.client == client]
        if not mine:
            rows.append([client, *["n/a"] * (len(durations) * 2 + 4)])
            continue
        cells: list[str] = []
        for nominal in durations:
            cell = [j for j in mine if j.nominal == nominal and j.results]
            if not cell:
                cells += ["error", "error"]
                continue
            cells.append(f"{median(j.results['overshoot'] for j in cell):.2f}")
            cells.append(f"{median(j.results['requests'] for j in cell):g}")
        done = [j for j in mine if j.results]
        totals[client] = sum(j.results["requests"] for j in done) / reps
        rate = max((j.results["poll_rate"] for j in done), default=0.0)
        window = max((int(j.results["window"]) for j in done), default=0)
        tail = median(j.results["tail"] for j in done)
        rows.append([client, *cells, f"{totals[client]:.0f}", f"{rate:.2f}", window, f"{tail:.2f}"])
    headers = ["client"]
    for d in durations:
        headers += [f"{d:g} s overshoot", f"{d:g} s req."]
    headers += ["req. total", "peak polls/s", "max req. in 1 s", "exit after last req."]
    print(table(headers, rows))
    print(
        "\novershoot: seconds from the run finishing to the client's exit (verdict in hand); "
        "req.: every request the client made for that campaign (list, trace upload, create, "
        "polls, reads); req. total: all durations, one run each; peak polls/s: 1 / the "
        "shortest gap between two polls of one run; max req. in 1 s: any 1-second window; "
        "exit after last req.: median seconds from the last answer to the process exit."
    )
    if why_not:
        print(f"sepurux CLI not measured: {why_not}")
    else:
        print(
            f"sepurux CLI: sepurux=={SEPURUX_VERSION}, `sepurux run campaign --poll-interval 5` "
            "(its default), batch-mode campaign (it reads batch_id); it uploads a trace, then "
            "reads reliability and failures after the last poll."
        )
    errors = [j for j in jobs if j.error]
    for job in errors[:5]:
        print(f"error: {job.client} {job.nominal:g} s: {job.error}")
    band = [j for j in jobs if j.client == "gate" and j.results and j.nominal <= 30]
    longer = [j for j in jobs if j.client == "gate" and j.results and j.nominal > 30]
    if band:
        print(
            f"\ngate, 1-30 s runs pooled: median overshoot "
            f"{median(j.results['overshoot'] for j in band):.2f} s"
        )
    for job_group in sorted({j.nominal for j in longer}):
        group = [j for j in longer if j.nominal == job_group]
        share = median(j.results["overshoot"] / j.duration for j in group)
        print(f"gate, {job_group:g} s runs: median overshoot {share:.1%} of the run's length")
    if "gate" in totals and "loop 1 s" in totals:
        print(
            f"requests, gate / fixed 1 s loop: {totals['gate']:.0f} / {totals['loop 1 s']:.0f}"
            f" = {totals['gate'] / totals['loop 1 s']:.2f}"
        )
    print("\n### Poll schedules, computed (no latency, no jitter; runs of T to 1.25 T)\n")
    print(schedule_table(durations))


def deadline_under_drip(timeouts: list[float], reps: int) -> None:
    """`check --timeout T` against a campaign list that drips one byte every 0.5 s or 1 s.

    The gate must end at T (plus start-up and writing the verdict), with exit 3; before the
    deadline bounded whole answers, a 6 s gate ran 53 s and a 1 byte/s list kept it past 90 s.
    """
    print("\n### Deadline under a slow-drip campaign list (`check --timeout T`)\n")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        (workdir / "sepurux.yml").write_text(
            "version: 1\ngate: {timeout: 600}\nenforcement: {mode: hard}\n"
            "thresholds: {min_pass_rate: 0.85}\ncampaigns:\n  core: {campaign: core}\n"
        )
        env = clean_env(SEPURUX_API_KEY="", SEPURUX_API_BASE_URL="")
        for delay in (0.5, 1.0):
            scenario = workdir / f"drip-{delay:g}.yml"
            scenario.write_text(
                "campaigns: [{name: core, duration: 0.2}]\n"
                f"faults: [{{on: campaigns, kind: drip, delay: {delay}}}]\n"
            )
            for limit in timeouts:
                argv = [GATE_RUNNER, "check", "--timeout", f"{limit:g}", "--sandbox", str(scenario)]
                walls, codes = [], set()
                for _ in range(reps):
                    child = Child(argv, env, cwd=workdir).run(timeout=limit + 120)
                    walls.append(child.exited - child.launched)
                    codes.add(child.returncode)
                rows.append([
                    f"{limit:g}", f"{delay:g}", f"{median(walls):.2f}", f"{max(walls):.2f}",
                    f"{max(walls) - limit:.2f}", ",".join(str(c) for c in sorted(codes)),
                ])  # fmt: skip
    headers = ["--timeout s", "s per byte", "wall median", "wall max", "max past T", "exits"]
    print(table(headers, rows))
    print("wall: the whole process, start-up and verdict writing included; exit 3 = no decision.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--durations", default="1,3,10,30,90")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--stagger", type=float, default=0.4, help="seconds between launches")
    parser.add_argument("--drip-timeouts", default="3,6", help="--timeout values under a drip")
    parser.add_argument("--drip-only", action="store_true", help="only the drip table")
    args = parser.parse_args()
    durations = [float(d) for d in args.durations.split(",")]
    sys.path.insert(0, str(REPO))
    if not args.drip_only:
        jobs, why_not = measure(durations, args.reps, args.stagger)
        report(jobs, why_not, durations, args.reps)
    deadline_under_drip([float(t) for t in args.drip_timeouts.split(",")], args.reps)


if __name__ == "__main__":
    main()
