"""`history --report html=PATH`: one self-contained page, an inline SVG trend per campaign."""

from __future__ import annotations

from html import escape

from gate_runner.governance.history.trends import CampaignHistory, History, RepositoryHistory
from gate_runner.report.html import document
from gate_runner.safe_text import one_line

# The trend's drawing box (viewBox units; the SVG scales to its cell).
_WIDTH, _HEIGHT, _PAD = 320.0, 64.0, 6.0
_OUTCOMES = ("pass", "fail", "warn", "error", "inconclusive")
_STYLE = """
h2,p{overflow-wrap:anywhere}.trend{min-width:180px;width:45%}.trend svg{max-width:420px}
.trend .line{fill:none;stroke:var(--accent);stroke-width:1.5}
.trend .bar{stroke:var(--bar);stroke-width:1;stroke-dasharray:4 3}
.flag{font-weight:600}.flag.flaky{color:var(--warn)}.flag.chronic,.flag.stale{color:var(--fail)}
.flag.new{color:var(--inconclusive)}
"""


def history_page(history: History) -> str:
    """The page; every string from a stored verdict is escaped where it is placed."""
    repositories = len(history.repositories)
    title = (
        f"gate-runner history: {history.verdicts} verdicts in {repositories} "
        f"repositor{'y' if repositories == 1 else 'ies'}"
    )
    body = [
        f'<header>\n<h1>{escape(title)}</h1>\n<p class="muted">{escape(_window(history))}</p>\n'
        '<p class="legend">Each trend: the pass rate of each commit, oldest on the left (a dot '
        "per verdict in its outcome's colour), against the bar (dashed).</p>\n</header>\n",
        *(_repository(r) for r in history.repositories),
        _skipped(history),
    ]
    return document(
        escape(title), _text(title + ". " + _window(history), 300), "".join(body), _STYLE
    )


def _text(value: object, limit: int = 500) -> str:
    return escape(one_line(value, limit), quote=True)


def _window(history: History) -> str:
    query = history.query
    parts = [f"as of {query.today.isoformat()}"]
    parts += [f"{name} {value}" for name, value in (
        ("repository", query.repo), ("campaign", query.campaign), ("branch", query.branch),
        ("since", query.since.isoformat() if query.since else None),
    ) if value]  # fmt: skip
    return "; ".join(parts) + f"; baselines stale after {query.stale_days} days"


def _repository(repository: RepositoryHistory) -> str:
    debt = repository.waiver_debt()
    rows = "".join(_row(c) for c in repository.campaigns)
    lines = [
        f"<h2>{_text(repository.repository)}</h2>\n",
        f"<p>{repository.verdicts} verdicts. Waiver debt: {debt['live']} live, "
        f"{debt['expiring']} expiring, {debt['expired']} expired.</p>\n",
    ]
    base = repository.baseline
    if base is not None:
        age = "age unknown" if base["age_days"] is None else f"{base['age_days']} days older"
        flag = ' <span class="flag stale">stale</span>' if base["stale"] else ""
        lines.append(
            f"<p>Baseline <code>{_text(str(base['commit'])[:12])}</code>: {age}{flag}</p>\n"
        )
    lines.append(
        '<div class="scroll"><table class="history">\n<thead><tr><th>Campaign</th>'
        "<th>Commits</th><th>Trend</th><th>Mean</th><th>Bar (met)</th><th>Flags</th></tr>"
        f"</thead>\n<tbody>\n{rows}</tbody>\n</table></div>\n"
    )
    waived = [w for w in repository.waivers if w.state != "live"]
    if waived:
        items = "".join(
            f"<li><code>{_text(w.campaign)}/{_text(w.check)}</code> until "
            f"{_text(w.until, 40)}: {escape(w.state)}</li>\n"
            for w in waived
        )
        lines.append(f'<ul class="lines">\n{items}</ul>\n')
    return "".join(lines)


def _row(campaign: CampaignHistory) -> str:
    mean = "—" if campaign.mean is None else f"{campaign.mean:.3f}"
    bar = "—" if campaign.bar is None else f"{campaign.bar:g} ({campaign.met_bar})"
    flags = []
    if campaign.flaky.flaky:
        flags.append('<span class="flag flaky">flaky</span>')
    if campaign.failing:
        flags.append(f'<span class="flag {campaign.failing}">{campaign.failing} failure</span>')
    flags += [f"new tool <code>{_text(t, 100)}</code>" for t in campaign.new_tools]
    return (
        f'<tr><td class="key">{_text(campaign.campaign)}</td><td>{campaign.commits}</td>'
        f'<td class="trend">{_trend(campaign)}</td><td>{mean}</td><td>{bar}</td>'
        f"<td>{', '.join(flags)}</td></tr>\n"
    )


def _y(rate: float) -> float:
    clipped = min(max(rate, 0.0), 1.0)  # a bad payload's rate is drawn at the edge
    return round(_HEIGHT - _PAD - clipped * (_HEIGHT - 2 * _PAD), 2)


def _trend(campaign: CampaignHistory) -> str:
    if campaign.points is None:
        # A roll-up past trends.POINTS_LIMIT keeps counts, not points (docs/history.md).
        return "per commit with --repo"
    points = campaign.points
    step = (_WIDTH - 2 * _PAD) / max(len(points) - 1, 1)
    xs = [round(_PAD + i * step, 2) for i in range(len(points))]
    drawn = [(x, p) for x, p in zip(xs, points, strict=True) if p.value is not None]
    parts = [f'<rect class="track" width="{_WIDTH:g}" height="{_HEIGHT:g}" rx="3"/>']
    if campaign.bar is not None:
        y = _y(campaign.bar)
        parts.append(f'<line class="bar" x1="0" y1="{y}" x2="{_WIDTH:g}" y2="{y}"/>')
    if len(drawn) > 1:
        line = " ".join(f"{x},{_y(p.value or 0.0)}" for x, p in drawn)
        parts.append(f'<polyline class="line" points="{line}"/>')
    for x, point in drawn:
        kind = point.outcome if point.outcome in _OUTCOMES else "other"
        tip = _text(f"{point.commit[:12]} {point.started_at[:10]}: {point.value:.3f} {kind}", 120)
        parts.append(
            f'<circle class="dot {kind}" cx="{x}" cy="{_y(point.value or 0.0)}" r="3">'
            f"<title>{tip}</title></circle>"
        )
    label = _text(f"pass rate of {campaign.campaign} over {len(points)} commits", 200)
    return (
        f'<svg viewBox="0 0 {_WIDTH:g} {_HEIGHT:g}" role="img" aria-label="{label}">'
        + "".join(parts)
        + "</svg>"
    )


def _skipped(history: History) -> str:
    if not history.skipped:
        return ""
    items = "".join(f"<li>{_text(s)}</li>\n" for s in history.skipped[:50])
    more = len(history.skipped) - 50
    tail = f"<li>… and {more} more</li>\n" if more > 0 else ""
    return f'<h2>Skipped</h2>\n<ul class="lines">\n{items}{tail}</ul>\n'
