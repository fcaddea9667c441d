"""Scale: many campaigns finishing at random times within 1-5 s, through `gate-runner check`.

The gate is a child process (`gate-runner check`, policy with N campaigns and
`gate.concurrency` set); the sandbox runs in this process on 127.0.0.1, so its memory is
not the gate's. Peak memory is the child's own ru_maxrss (os.wait4).

Run: .venv/bin/python bench/scale.py [--sizes 1,10,100,500] [--concurrency 8,32] [--reps 3]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import uuid
from pathlib import Path

from _common import GATE_RUNNER, Child, Stamps, clean_env, machine, median, run_finishes, table

from gate_runner.sandbox import Sandbox, Scenario


def measure(size: int, concurrency: int, seed: int, workdir: Path) -> dict[str, float]:
    rng = random.Random(seed)  # durations only
    names = [f"c{i:03d}" for i in range(size)]
    scenario = Scenario.from_dict(
        {"campaigns": [{"name": n, "duration": rng.uniform(1.0, 5.0)} for n in names]}
    )
    policy = workdir / f"scale-{size}-{concurrency}-{seed}.yml"
    lines = [
        "version: 1",
        f"gate: {{timeout: 300, concurrency: {concurrency}}}",
        "enforcement: {mode: hard}",
        "thresholds: {min_pass_rate: 0.85, max_unsafe: 0}",
        "campaigns:",
    ]
    lines += [f"  {n}: {{trace_id: {uuid.uuid4()}}}" for n in names]
    policy.write_text("\n".join(lines) + "\n")
    with Sandbox(scenario) as sandbox:
        stamps = Stamps(sandbox)
        argv = [GATE_RUNNER, "check", "--config", str(policy),
                "--verdict", str(workdir / "verdict.json")]  # fmt: skip
        env = clean_env(SEPURUX_API_KEY=sandbox.token, SEPURUX_API_BASE_URL=sandbox.url)
        child = Child(argv, env, cwd=workdir).run(timeout=300)
        finishes = run_finishes(sandbox)
        total = sandbox.total_requests()
        times = stamps.snapshot()
    if child.returncode != 0 or len(finishes) != size:
        raise RuntimeError(f"gate exit {child.returncode}: {child.output[-500:]}")
    last = max(finished for _, finished in finishes.values())
    slowest = max(c.duration for c in scenario.campaigns)
    wall = child.exited - child.launched
    first = min(t for t, _, _ in times)
    creates = max(t for t, key, _ in times if key == "POST /v1/ci/runs")
    return {
        "startup": first - child.launched,
        "creates": creates - first,
        "wall": wall,
        "slowest": slowest,
        "over_slowest": wall - slowest,
        "overshoot": child.exited - last,
        "per_campaign": total / size,
        "rss_mib": child.max_rss_kib / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,10,100,500")
    parser.add_argument("--concurrency", default="8,32")
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in (int(s) for s in args.sizes.split(",")):
            for concurrency in (int(c) for c in args.concurrency.split(",")):
                runs = [measure(size, concurrency, seed, Path(tmp)) for seed in range(args.reps)]

                def med(key: str, runs: list[dict[str, float]] = runs) -> float:
                    return median(r[key] for r in runs)

                keys = ("startup", "creates", "wall", "slowest", "over_slowest", "overshoot")
                rows.append(
                    [size, concurrency, *(med(k) for k in keys),
                     f"{med('per_campaign'):.1f}", f"{med('rss_mib'):.0f}",
                     f"{max(r['rss_mib'] for r in runs):.0f}"]
                )  # fmt: skip
    print(f"## Scale ({args.reps} runs per row, medians; {machine()})\n")
    headers = ["campaigns", "concurrency", "to 1st request s", "creating s", "wall s",
               "slowest run s", "wall - slowest s", "overshoot s", "requests/campaign",
               "peak RSS MiB", "max peak RSS MiB"]  # fmt: skip
    print(table(headers, rows))
    print(
        "\nto 1st request: launch to the first request the sandbox saw; creating: from there "
        "to the last create; wall: `gate-runner check` launch to exit (start-up, list, "
        "creates, polls, evaluation, verdict); slowest run: the longest run's duration; "
        "overshoot: exit minus the moment "
        "the last run finished; durations uniform in 1-5 s (seeded); peak RSS: the gate "
        "process only (os.wait4 ru_maxrss), the sandbox runs in the benchmark's process."
    )


if __name__ == "__main__":
    main()
