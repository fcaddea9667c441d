"""Decisions on a random agent: how often each rule blocks, how wrongly, and how many runs it costs.

Simulated agents have a true pass rate from bar − 0.15 to bar + 0.15; each run is
`trials` attempts, its successes drawn from Binomial(trials, true). Every gate is
seeded, and the rules see the same runs (run 1 for all, runs 1–3 for the
median, as many as it asks for the sequential rule), so their differences are the
rules', not the dice's. Each rule is a `RunPlan` handed to `gate_runner.statistics.decide_bar`,
the call the gate itself makes after every run:

  (a) one run, point estimate against the bar (gate-runner before repeats);
  (b) a fixed 3-run median against the bar (Lighthouse CI's default numberOfRuns: 3);
  (c) gate-runner's sequential rule: Wald's SPRT at confidence 0.95, indifference 0.05,
      max_runs 5, on_inconclusive fail (the default);
  (d) the same with on_inconclusive pass, to show what the default's caution costs;
  (e) the alternative to the SPRT: alpha spending, Bonferroni over the max_runs looks on
      Wilson intervals (the interval at confidence 1 − 0.05/5 must clear or miss the bar).

Wrong decision: blocking an agent whose true rate is at or above the bar + δ, or passing
one at or below the bar − δ (δ = the indifference half-width, 0.05). Inside the zone no
decision is counted wrong; the P(block) curve shows what each rule does there.

Run: .venv/bin/pip install -e ".[bench]"; .venv/bin/python bench/decisions.py --gates 5000
(2–6 minutes on 2 shared cores; writes docs/decisions.png, --no-plot skips it)
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from _common import REPO, machine, table

from gate_runner.statistics import Bar, RunPlan, Sample, decide_bar, settle
from gate_runner.statistics.sequential import Sprt, operating_characteristic
from gate_runner.statistics.simulation import Binomial

BAR = 0.85
DELTA = 0.05
CONFIDENCE = 0.95
MAX_RUNS = 5
TRIALS = (20, 50, 100)
OFFSETS = tuple(round(-0.15 + 0.01 * i, 2) for i in range(31))
RULE_NAMES = (
    "one run",
    "3-run median",
    "sequential",
    "sequential, on_inconclusive pass",
    "alpha spending",
)
SEQUENTIAL = RULE_NAMES[2:]


def rules(max_runs: int) -> dict[str, RunPlan]:
    """The rules compared, as the RunPlans a policy would produce."""
    sequential = RunPlan(max_runs=max_runs, confidence=CONFIDENCE, on_inconclusive="fail")
    lenient = RunPlan(max_runs=max_runs, confidence=CONFIDENCE, on_inconclusive="pass")
    spending = RunPlan(max_runs=max_runs, confidence=CONFIDENCE, sequential_rule="bonferroni")
    median = RunPlan(repeat=3, max_runs=3, aggregate="median")
    plans = (RunPlan(), median, sequential, lenient, spending)
    return dict(zip(RULE_NAMES, plans, strict=True))


@dataclass
class Tally:
    """One rule at one (trials, true rate) point."""

    gates: int = 0
    blocked: int = 0
    runs: int = 0
    concluded: int = 0  # pass or fail decided by the rule itself
    wrong_concluded: int = 0  # of those, on the wrong side (outside the indifference zone)
    budget_out: int = 0  # inconclusive at max_runs: on_inconclusive decided
    # Paired with the 3-run median on the same runs: gates only this rule got wrong, and
    # gates only the median got wrong (McNemar's discordant pairs).
    only_this_wrong: int = 0
    only_median_wrong: int = 0

    def p_block(self) -> float:
        return self.blocked / self.gates

    def mean_runs(self) -> float:
        return self.runs / self.gates


def wrong(blocked: bool, true_rate: float) -> bool:
    """Outside the indifference zone only: block a good agent or pass a bad one."""
    if true_rate >= BAR + DELTA - 1e-9:
        return blocked
    if true_rate <= BAR - DELTA + 1e-9:
        return not blocked
    return False


def run_gate(
    plan: RunPlan, bar: Bar, draw: Callable[[], Sample], tally: Tally, true: float
) -> bool:
    """One gate through `decide_bar`, as the gate calls it after each run; True if it blocked."""
    samples: list[Sample] = []
    while True:
        samples.append(draw())
        decision = decide_bar(tuple(samples), bar, plan)
        if decision.status != "continue":
            break
    tally.gates += 1
    tally.runs += len(samples)
    if decision.status == "inconclusive":
        tally.budget_out += 1
        blocked = settle(plan.on_inconclusive)[0] == "fail"
    else:
        tally.concluded += 1
        blocked = decision.status == "fail"
        tally.wrong_concluded += wrong(blocked, true)
    tally.blocked += blocked
    return blocked


def sweep(gates: int, seed: int, max_runs: int) -> dict[tuple[int, float, str], Tally]:
    plans = rules(max_runs)
    bar = Bar("min_pass_rate", "pass_rate", BAR, "min")
    results: dict[tuple[int, float, str], Tally] = {}
    for trials in TRIALS:
        for offset in OFFSETS:
            true = round(BAR + offset, 4)
            law = Binomial(trials, true)
            for name in plans:
                results[trials, offset, name] = Tally()
            for gate in range(gates):
                # One stream of runs per gate, replayed to every rule (common random numbers).
                rng = random.Random(f"{seed}:{trials}:{offset:+.2f}:{gate}")
                runs = [Sample(law.draw(rng) / trials, trials) for _ in range(max(max_runs, 3))]
                blocked = {}
                for name, plan in plans.items():
                    stream = iter(runs)
                    tally = results[trials, offset, name]
                    blocked[name] = run_gate(plan, bar, lambda s=stream: next(s), tally, true)
                median_wrong = wrong(blocked["3-run median"], true)
                for name in plans:
                    this_wrong = wrong(blocked[name], true)
                    results[trials, offset, name].only_this_wrong += this_wrong and not median_wrong
                    results[trials, offset, name].only_median_wrong += (
                        median_wrong and not this_wrong
                    )
    return results


def report(
    results: dict[tuple[int, float, str], Tally], gates: int, max_runs: int
) -> tuple[str, list[str]]:
    lines = []
    for trials in TRIALS:
        rows = []
        for offset in OFFSETS:
            if round(offset * 100) % 5:
                continue  # the tables show every 0.05; the plot shows every 0.01
            one, median, seq, lenient, spending = (results[trials, offset, n] for n in RULE_NAMES)
            wrong_rate = seq.wrong_concluded / seq.concluded if seq.concluded else 0.0
            rows.append(
                [
                    f"{BAR + offset:.2f} ({offset:+.2f})",
                    f"{one.p_block():.3f}",
                    f"{median.p_block():.3f}",
                    f"{seq.p_block():.3f}",
                    f"{seq.mean_runs():.2f}",
                    f"{seq.concluded / seq.gates:.3f}",
                    f"{seq.budget_out / seq.gates:.3f}",
                    f"{lenient.p_block():.3f}",
                    f"{spending.p_block():.3f} / {spending.mean_runs():.2f}",
                    f"{wrong_rate:.3f}" if abs(offset) >= DELTA - 1e-9 else "(zone)",
                ]
            )
        headers = [
            "true rate",
            "P(block) one run",
            "3-run median",
            "sequential",
            "seq. mean runs",
            "seq. concluded",
            "seq. budget out",
            "seq. with on_inconclusive pass",
            "alpha spending: P(block) / runs",
            "seq. wrong when concluded",
        ]
        lines.append(f"\n#### {trials} trials per run, bar {BAR}, {gates} gates per point\n")
        lines.append(table(headers, rows))
    return "\n".join(lines), targets(results, max_runs)


def targets(results: dict[tuple[int, float, str], Tally], max_runs: int) -> list[str]:
    """Each target of issue #12, checked over the sweep: one line each, MET or MISSED."""
    far = [o for o in OFFSETS if abs(o) >= 0.10 - 1e-9]
    outside = [o for o in OFFSETS if abs(o) >= DELTA - 1e-9]
    out: list[str] = []
    for name in SEQUENTIAL:
        worst_wrong = max(wrong_rate(results[50, o, name], BAR + o) for o in far)
        worst_runs = max(results[50, o, name].mean_runs() for o in far)
        out.append(
            _verdict(
                worst_wrong <= 0.05 and worst_runs <= 1.5,
                f"{name}, |true − bar| ≥ 0.10, 50 trials: worst wrong-decision rate "
                f"{worst_wrong:.3f} (≤ 0.05), worst mean runs {worst_runs:.2f} (≤ 1.5)",
            )
        )
    for name in ("sequential", "alpha spending"):  # concluding is on_inconclusive-blind
        for trials in TRIALS:
            conditional = max(
                results[trials, o, name].wrong_concluded
                / max(results[trials, o, name].concluded, 1)
                for o in outside
            )
            out.append(
                _verdict(
                    conditional <= 0.05,
                    f"{name}, |true − bar| ≥ 0.05, {trials} trials: worst wrong rate when it "
                    f"concludes {conditional:.3f} (≤ 0.05)",
                )
            )
    for name in SEQUENTIAL:
        for trials in TRIALS:
            out += compare_with_median(results, name, trials, outside, far)
    out += exact_comparison(outside, max_runs)
    return out


def exact_comparison(outside: list[float], max_runs: int) -> list[str]:
    """The same comparison without sampling error: the SPRT's exact operating characteristic
    against the median's closed form P(median < bar) = 3q² − 2q³, q = P(one run < bar).
    Differences under 0.0001 are ignored (a few gates in a million)."""
    test = Sprt(BAR, "min", 1.0 - CONFIDENCE)
    out = []
    for trials in TRIALS:
        worse = []
        for offset in outside:
            true = BAR + offset
            below = sum(
                math.comb(trials, k) * true**k * (1 - true) ** (trials - k)
                for k in range(trials + 1)
                if k / trials < BAR
            )
            median_blocks = 3 * below**2 - 2 * below**3
            ends = operating_characteristic(test, true, trials, max_runs)
            sequential_blocks = ends.failed + ends.inconclusive  # on_inconclusive: fail
            good = true >= BAR + DELTA - 1e-9
            mine = sequential_blocks if good else 1 - sequential_blocks
            theirs = median_blocks if good else 1 - median_blocks
            if mine > theirs + 1e-4:
                worse.append(f"{true:.2f} ({mine:.4f} vs {theirs:.4f})")
        out.append(
            _verdict(
                not worse,
                f"exact, sequential vs 3-run median, {trials} trials: more wrong decisions at "
                f"{', '.join(worse) or 'no true rate'} (outside the zone)",
            )
        )
    return out


def wrong_rate(t: Tally, true: float) -> float:
    """The share of gates decided wrongly at `true` (0 inside the indifference zone)."""
    if BAR - DELTA + 1e-9 < true < BAR + DELTA - 1e-9:
        return 0.0
    blocked_wrongly = true >= BAR + DELTA - 1e-9
    return (t.blocked if blocked_wrongly else t.gates - t.blocked) / t.gates


def compare_with_median(
    results: dict[tuple[int, float, str], Tally],
    name: str,
    trials: int,
    outside: list[float],
    far: list[float],
) -> list[str]:
    """No more wrong decisions than the 3-run median outside the zone; fewer runs far from it."""
    worse = [
        f"{BAR + o:.2f} ({wrong_rate(results[trials, o, name], BAR + o):.4f} vs "
        f"{wrong_rate(results[trials, o, '3-run median'], BAR + o):.4f})"
        for o in outside
        if wrong_rate(results[trials, o, name], BAR + o)
        > wrong_rate(results[trials, o, "3-run median"], BAR + o)
    ]
    # McNemar on the paired gates: worse beyond Monte Carlo noise (about 2 standard errors).
    significant = [
        f"{BAR + o:.2f}"
        for o in outside
        if (t := results[trials, o, name]).only_this_wrong - t.only_median_wrong
        > 2 * math.sqrt(t.only_this_wrong + t.only_median_wrong)
    ]
    costlier = [
        f"{BAR + o:.2f}"
        for o in far
        if results[trials, o, name].mean_runs() >= results[trials, o, "3-run median"].mean_runs()
    ]
    return [
        _verdict(
            not worse,
            f"{name} vs 3-run median, {trials} trials: more wrong decisions at "
            f"{', '.join(worse) or 'no true rate'} (outside the zone); beyond Monte Carlo "
            f"noise (paired, > 2 SE) at {', '.join(significant) or 'no true rate'}",
        ),
        _verdict(
            not costlier,
            f"{name} vs 3-run median, {trials} trials: not fewer mean runs at "
            f"{', '.join(costlier) or 'no true rate'} with |true − bar| ≥ 0.10",
        ),
    ]


def _verdict(met: bool, text: str) -> str:
    return f"{'MET   ' if met else 'MISSED'} {text}"


def plot(
    results: dict[tuple[int, float, str], Tally], path: Path, gates: int, max_runs: int
) -> None:
    import matplotlib

    matplotlib.use("Agg")  # no display on CI machines
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(2, len(TRIALS), figsize=(13, 7), sharex=True)
    trues = [BAR + o for o in OFFSETS]
    for column, trials in enumerate(TRIALS):
        top, bottom = axes[0][column], axes[1][column]
        for name in RULE_NAMES:
            tallies = [results[trials, o, name] for o in OFFSETS]
            style = "--" if name == "alpha spending" else "-"
            top.plot(trues, [t.p_block() for t in tallies], style, marker=".", label=name)
            bottom.plot(trues, [t.mean_runs() for t in tallies], style, marker=".", label=name)
        for axis in (top, bottom):
            axis.axvline(BAR, color="black", linewidth=0.8)
            axis.axvspan(BAR - DELTA, BAR + DELTA, color="grey", alpha=0.15)
            axis.grid(alpha=0.3)
        top.set_title(f"{trials} trials per run")
        top.set_ylim(-0.02, 1.02)
        bottom.set_xlabel("true pass rate")
        bottom.set_ylim(0, max_runs + 0.2)
    axes[0][0].set_ylabel("P(block)")
    axes[1][0].set_ylabel("mean runs per decision")
    axes[0][0].legend(loc="lower left", fontsize="small")
    figure.suptitle(
        f"bar {BAR}; grey: indifference zone ±{DELTA}; sequential = SPRT, confidence "
        f"{CONFIDENCE}, max_runs {max_runs}, on_inconclusive fail; {gates} seeded gates per point"
    )
    figure.tight_layout()
    figure.savefig(path, dpi=100, metadata={"Software": None})  # no version stamp: stable bytes
    plt.close(figure)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gates", type=int, default=5000, help="seeded gates per point")
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--plot", type=Path, default=REPO / "docs" / "decisions.png")
    parser.add_argument("--no-plot", action="store_true")
    parser.add_argument("--max-runs", type=int, default=MAX_RUNS, help="the sequential budget")
    args = parser.parse_args(argv)
    started = time.monotonic()
    results = sweep(args.gates, args.seed, args.max_runs)
    tables, checks = report(results, args.gates, args.max_runs)
    command = (
        f"bench/decisions.py --gates {args.gates} --seed {args.seed} --max-runs {args.max_runs}"
    )
    print(f"<!-- {command}; {machine()} -->")
    print(tables)
    print("\nTargets (issue #12):")
    print("\n".join(f"- {line}" for line in checks))
    if not args.no_plot:
        plot(results, args.plot, args.gates, args.max_runs)
        print(f"\nplot: {args.plot}")
    print(f"<!-- sweep: {time.monotonic() - started:.0f} s -->")
    return 0


if __name__ == "__main__":
    sys.exit(main())
