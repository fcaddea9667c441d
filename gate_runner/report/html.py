"""The `html` report: one self-contained page (inline SVG, no script, nothing from the network)."""

from __future__ import annotations

import base64
import hashlib
import re
from html import escape

from gate_runner.report.pass_rates import PassRate, pass_rates
from gate_runner.report.reported_findings import (
    dashboard_url,
    finding_location,
    findings,
    gate_spend,
    interruption,
    is_note,
    reused_from,
    reused_origin,
    top_failing_tools,
)
from gate_runner.safe_text import one_line
from gate_runner.verdict import CampaignResult, Verdict

_OUTCOMES = ("pass", "fail", "warn", "error", "inconclusive", "waived")
_URL = re.compile(r"^https?://[^\s<>\"'`\\]+$")
_STYLE = """
:root{color-scheme:light dark;--bg:#fff;--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;
--track:#e6eaef;--pass:#1a7f37;--fail:#cf222e;--warn:#9a6700;--error:#8250df;
--inconclusive:#bc4c00;--other:#59636e;--bar:#1f2328;--accent:#0969da}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9198a1;
--line:#3d444d;--track:#262c36;--pass:#3fb950;--fail:#f85149;--warn:#d29922;
--error:#ab7df8;--inconclusive:#f0883e;--bar:#e6edf3;--accent:#4493f8}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);
font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:960px;margin:0 auto;padding:16px}
h1{font-size:1.5rem;margin:.2em 0}h2{font-size:1.15rem;margin:1.6em 0 .5em}
p{margin:.4em 0}.muted{color:var(--muted)}a{color:var(--accent)}
code{font:.9em ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;overflow-wrap:anywhere}
.badge{display:inline-block;padding:.05em .55em;border-radius:1em;color:var(--bg);
font-weight:600;font-size:.85em;text-transform:uppercase;letter-spacing:.03em}
.badge.pass{background:var(--pass)}.badge.fail{background:var(--fail)}
.badge.warn{background:var(--warn)}.badge.error{background:var(--error)}
.badge.inconclusive{background:var(--inconclusive)}.badge.waived,.badge.other{background:var(--other)}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.4em .6em;border-bottom:1px solid var(--line);vertical-align:middle}
th{font-size:.85em;color:var(--muted);font-weight:600}
td.key{overflow-wrap:anywhere;max-width:16em}
svg{display:block;width:100%;height:auto}
svg text{fill:var(--fg);font:11px system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
.gauge{min-width:150px}td.rate{white-space:nowrap}.gauge svg{max-width:420px}
td.bar{width:60%;min-width:100px}td.bar svg{height:14px}
caption{text-align:left;padding:.4em 0;font-weight:600}
.track{fill:var(--track)}.threshold{stroke:var(--bar);stroke-width:2}
.interval{stroke:var(--muted);stroke-width:3;stroke-linecap:round}
.run{fill:var(--bg);stroke:var(--fg);stroke-width:1.2}
.baseline{stroke:var(--accent);stroke-width:2;stroke-dasharray:3 2}
.dot.pass,.fill.pass{fill:var(--pass)}.dot.fail,.fill.fail{fill:var(--fail)}
.dot.warn,.fill.warn{fill:var(--warn)}.dot.error,.fill.error{fill:var(--error)}
.dot.inconclusive,.fill.inconclusive{fill:var(--inconclusive)}
.dot.waived,.dot.other,.fill.waived,.fill.other{fill:var(--other)}
.legend{font-size:.85em;color:var(--muted)}
ul.lines{padding-left:1.2em}ul.lines li{margin:.3em 0;overflow-wrap:anywhere}
footer{margin-top:2em;font-size:.85em;color:var(--muted);overflow-wrap:anywhere}
@media (max-width:600px){main{padding:10px}th,td{padding:.35em .4em}body{font-size:14px}}
"""


def render(verdict: Verdict) -> str:
    return page(verdict)


def page(verdict: Verdict, baseline: Verdict | None = None) -> str:
    """The whole document; every string from the verdict is escaped where it is placed."""
    state = "blocks the merge" if verdict.blocking else "does not block"
    rates = pass_rates(verdict, baseline)
    body = [
        _header(verdict, state),
        _campaigns(verdict),
        _pass_rate_section(rates),
        _tools_section(verdict),
        _lines_section(verdict),
        _links_section(verdict),
        _footer(verdict),
    ]
    return document(
        f"gate-runner: {_text(verdict.outcome)} — {state}",
        _description(verdict, state),
        "".join(part for part in body if part),
    )


def document(title: str, description: str, body: str, style: str = "") -> str:
    """A self-contained page around `body` (escaped HTML already): `title` and `description`
    are escaped text, `style` more rules after the report's own (the history page's)."""
    sheet = _STYLE + style
    digest = base64.b64encode(hashlib.sha256(sheet.encode()).digest()).decode()
    # Only the one stylesheet below may apply: no script, no request, no form, no base.
    policy = (
        f"default-src 'none'; style-src 'sha256-{digest}'; img-src 'none'; "
        "base-uri 'none'; form-action 'none'"
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{policy}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="color-scheme" content="light dark">\n'
        '<meta name="referrer" content="no-referrer">\n'
        # What a search result, a link preview or Lighthouse's SEO audit shows of the page.
        f'<meta name="description" content="{description}">\n'
        f"<title>{title}</title>\n"
        f"<style>{sheet}</style>\n</head>\n<body>\n<main>\n" + body + "</main>\n</body>\n</html>\n"
    )


def _text(value: object, limit: int = 500) -> str:
    return escape(one_line(value, limit), quote=True)


def _description(verdict: Verdict, state: str) -> str:
    summary = f"Sepurux reliability gate verdict: {verdict.outcome}, {state}. {verdict.summary}"
    return _text(summary, 300)


def _kind(outcome: str) -> str:
    """A CSS class from a fixed list: an outcome string never reaches an attribute raw."""
    return outcome if outcome in _OUTCOMES else "other"


def _badge(outcome: str) -> str:
    return f'<span class="badge {_kind(outcome)}">{_text(outcome, 40)}</span>'


def _link(url: str | None, label: str) -> str | None:
    if not url or not _URL.match(url):
        return None
    return (
        f'<a href="{escape(url, quote=True)}" rel="noopener noreferrer nofollow">'
        f"{escape(label)}</a>"
    )


def _header(verdict: Verdict, state: str) -> str:
    gate = verdict.enforcement
    lines = [
        '<header>\n<h1 id="verdict">',
        f"{_badge(verdict.outcome)} gate-runner {escape(state)}</h1>\n",
        f'<p id="summary">{_text(verdict.summary, 1000)}</p>\n',
        f'<p class="muted">Mode <code>{_text(gate.mode, 20)}</code> ({_text(gate.source, 20)}: '
        f"{_text(gate.reason, 200)}) · exit code "
        f"{int(verdict.exit_code)}</p>\n",
    ]
    if verdict.error is not None:
        lines.append(
            f"<p><strong>No decision</strong> ({_text(verdict.error.kind, 40)}): "
            f"{_text(verdict.error.message, 1000)}</p>\n"
        )
        problems = "".join(
            f"<li><code>{_text(p.location.path, 200)}:{int(p.location.line)}:"
            f"{int(p.location.column)}</code> {_text(p.message, 1000)}</li>\n"
            for p in verdict.error.diagnostics
        )
        if problems:
            lines.append(f'<ul class="lines">\n{problems}</ul>\n')
    if verdict.interrupted:
        lines.append(f"<p><strong>Interrupted</strong>: {escape(interruption(verdict))}.</p>\n")
    lines.append("</header>\n")
    return "".join(lines)


def _campaigns(verdict: Verdict) -> str:
    if not verdict.campaigns:
        return ""
    rows = "".join(_campaign_row(c) for c in verdict.campaigns)
    return (
        '<section id="campaigns">\n<h2>Campaigns</h2>\n<div class="scroll"><table>\n'
        "<thead><tr><th>Campaign</th><th>Outcome</th><th>Mode</th><th>Blocking</th>"
        "<th>Run</th></tr></thead>\n<tbody>\n" + rows + "</tbody>\n</table></div>\n</section>\n"
    )


def _campaign_row(campaign: CampaignResult) -> str:
    run = one_line(campaign.run_id or "", 60)
    # A run id is a uuid: its first 8 characters tell runs apart and keep a phone's table narrow.
    short = run if len(run) <= 12 else run[:8] + "…"
    link = _link(dashboard_url(campaign), short or "dashboard")
    run_cell = link or (f"<code>{escape(short)}</code>" if run else "—")
    if run:
        run_cell = f'<span title="{escape(run, quote=True)}">{run_cell}</span>'
    reused, origin = reused_from(campaign), reused_origin(campaign)
    if reused is not None and origin is not None:
        run_cell += (
            f' <span class="reused" title="{escape(origin, quote=True)}">{escape(reused)}</span>'
        )
    flaky = ' <span class="badge warn">flaky</span>' if campaign.flaky else ""
    return (
        f'<tr class="campaign" data-outcome="{_kind(campaign.outcome)}">'
        f'<td class="key"><code>{_text(campaign.key, 200)}</code></td>'
        f'<td class="outcome">{_badge(campaign.outcome)}{flaky}</td>'
        f"<td>{_text(campaign.enforcement.mode, 20)}</td>"
        f"<td>{'yes' if campaign.blocking else 'no'}</td>"
        f"<td>{run_cell}</td></tr>\n"
    )


def _pass_rate_section(rates: list[PassRate]) -> str:
    shown = [r for r in rates if r.value is not None or r.runs]
    if not shown:
        return ""
    rows = "".join(_rate_row(r) for r in shown)
    return (
        '<section id="pass-rates">\n<h2>Pass rate against the bar</h2>\n'
        '<p class="legend">Dot: the rate judged · vertical line: the bar (min_pass_rate)'
        " · grey span: confidence interval · rings: each run · dashed: baseline</p>\n"
        '<div class="scroll"><table>\n<thead><tr><th>Campaign</th><th>Rate</th>'
        "<th>0 → 1</th></tr></thead>\n<tbody>\n" + rows + "</tbody>\n</table></div>\n</section>\n"
    )


def _rate_row(rate: PassRate) -> str:
    against = f" / bar {_figure(rate.bar)}" if rate.bar is not None else ""
    return (
        f'<tr><td class="key"><code>{_text(rate.key, 200)}</code></td>'
        f'<td class="rate">{_figure(rate.value)}{against}</td>'
        f'<td class="gauge">{_gauge(rate)}</td></tr>\n'
    )


def _figure(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _x(value: float) -> str:
    # 0..1 onto the track from x=8 to x=232; values outside are drawn at the ends.
    return f"{8 + 224 * min(max(value, 0.0), 1.0):.1f}"


def _gauge(rate: PassRate) -> str:
    said = [f"pass rate {_figure(rate.value)}"]
    parts = ['<rect class="track" x="8" y="12" width="224" height="4" rx="2"/>']
    if rate.interval is not None:
        low, high = rate.interval
        said.append(f"interval {low:.2f} to {high:.2f}")
        parts.append(f'<line class="interval" x1="{_x(low)}" y1="14" x2="{_x(high)}" y2="14"/>')
    if rate.baseline is not None:
        said.append(f"baseline {rate.baseline:.2f}")
        x = _x(rate.baseline)
        parts.append(f'<line class="baseline" x1="{x}" y1="3" x2="{x}" y2="25"/>')
    if rate.bar is not None:
        said.append(f"bar {rate.bar:.2f}")
        x = _x(rate.bar)
        parts.append(f'<line class="threshold" x1="{x}" y1="2" x2="{x}" y2="26"/>')
    if rate.runs:
        said.append("runs " + ", ".join(f"{r:.2f}" for r in rate.runs))
        parts += [f'<circle class="run" cx="{_x(r)}" cy="14" r="3"/>' for r in rate.runs]
    if rate.value is not None:
        parts.append(
            f'<circle class="dot {_kind(rate.outcome)}" cx="{_x(rate.value)}" cy="14" r="5"/>'
        )
    label = escape("; ".join(said), quote=True)
    return (
        f'<svg viewBox="0 0 240 28" role="img" aria-label="{label}">'
        f"<title>{label}</title>{''.join(parts)}</svg>"
    )


def _tools_section(verdict: Verdict) -> str:
    tables = []
    for campaign in verdict.campaigns:
        tools = top_failing_tools(campaign)
        if not tools:
            continue
        most = max(*(t.count for t in tools), 1)
        rows = "".join(
            f'<tr><td class="key"><code>{_text(tool.tool, 120)}</code></td>'
            f'<td class="bar"><svg viewBox="0 0 100 10" preserveAspectRatio="none" role="img" '
            f'aria-label="{tool.count} failures">'
            f'<rect class="fill {_kind(campaign.outcome)}" x="0" y="1" '
            f'width="{100 * max(tool.count, 0) / most:.1f}" height="8" rx="1"/></svg></td>'
            f"<td>{tool.count}</td></tr>\n"
            for tool in tools
        )
        tables.append(
            f'<div class="scroll tools"><table>\n<caption><code>{_text(campaign.key, 200)}'
            "</code></caption>\n<thead><tr><th>Tool</th><th>Failures</th><th>Count</th></tr>"
            "</thead>\n<tbody>\n" + rows + "</tbody>\n</table></div>\n"
        )
    if not tables:
        return ""
    return '<section id="tools">\n<h2>Top failing tools</h2>\n' + "".join(tables) + "</section>\n"


def _lines_section(verdict: Verdict) -> str:
    items = []
    for campaign in verdict.campaigns:
        for check in findings(campaign):
            where = finding_location(verdict, campaign, check)
            badge = _badge("note" if is_note(check) else check.status)
            staged = ""
            if check.mode is not None and check.mode != campaign.enforcement.mode:
                staged = f" (judged at <code>{_text(check.mode, 20)}</code>)"
            items.append(
                f"<li><code>{_text(where.path, 200)}:{int(where.line)}</code> "
                f"{badge} <code>{_text(campaign.key, 200)}</code> · "
                f"<code>{_text(check.id, 200)}</code> — {_text(check.message)}{staged}</li>\n"
            )
    if not items:
        return ""
    return (
        '<section id="policy-lines">\n<h2>Policy lines that decided</h2>\n<ul class="lines">\n'
        + "".join(items)
        + "</ul>\n</section>\n"
    )


def _links_section(verdict: Verdict) -> str:
    items = []
    for campaign in verdict.campaigns:
        link = _link(dashboard_url(campaign), "dashboard")
        if link:
            items.append(f"<li><code>{_text(campaign.key, 200)}</code>: {link}</li>\n")
    build = _link(verdict.ci.build_url, "build log")
    if build:
        items.append(f"<li>{build}</li>\n")
    if not items:
        return ""
    return (
        '<section id="links">\n<h2>Dashboards</h2>\n<ul>\n' + "".join(items) + "</ul>\n</section>\n"
    )


def _footer(verdict: Verdict) -> str:
    facts = [
        f"policy <code>{_text(verdict.policy.path, 200)}</code>",
        f"digest <code>{_text(verdict.policy.digest[:19], 19)}</code>",
    ]
    if verdict.ci.commit:
        facts.append(f"commit <code>{_text(verdict.ci.commit[:12], 12)}</code>")
    facts.append(f"finished {_text(verdict.timings.finished_at, 40)}")
    notes = "".join(f"<p>{_text(note, 1000)}</p>\n" for note in verdict.notes)
    spent = gate_spend(verdict)
    if spent is not None:
        notes = f"<p>{_text(spent, 1000)}</p>\n" + notes
    return f"<footer>\n{notes}<p>{' · '.join(facts)}</p>\n</footer>\n"
