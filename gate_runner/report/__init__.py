"""Reports rendered from the verdict: the registry, `--report FORMAT[=PATH]`, and writing them."""

from __future__ import annotations

from gate_runner.report.output import ReportSpec, parse_report_spec, write_reports
from gate_runner.report.registry import REPORTERS, Reporter

__all__ = ["REPORTERS", "ReportSpec", "Reporter", "parse_report_spec", "write_reports"]
