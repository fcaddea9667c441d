"""The Sepurux endpoints the sandbox imitates: campaigns, traces, CI runs, batches, reliability."""

from __future__ import annotations

import html
import json
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from gate_runner import untrusted_json
from gate_runner.sandbox.ci_run import Run, draw_metrics, now_iso, scaled_reliability
from gate_runner.sandbox.decision import create_errors
from gate_runner.sandbox.reply import Reply, detail
from gate_runner.sandbox.routes import Route
from gate_runner.sandbox.scenario import CampaignSpec, Scenario

Query = Mapping[str, list[str]]


def _health(score_100: float) -> str:
    if score_100 >= 80:
        return "healthy"
    return "degraded" if score_100 >= 60 else "critical"


def _campaign_summary(campaign: CampaignSpec) -> dict[str, Any]:
    return {"campaign_id": campaign.id, "name": campaign.name, "mode": campaign.mode}


def _invalid(loc: list[str], msg: str, kind: str) -> Reply:
    return Reply(422, {"detail": [{"type": kind, "loc": loc, "msg": msg}]})


class SandboxService:
    """State and behaviour of the imitated API; thread-safe, and blind to HTTP and faults."""

    def __init__(self, scenario: Scenario, clock: Callable[[], float] = time.monotonic) -> None:
        self.scenario = scenario
        self.base_url = ""  # set once the server knows its port
        self._clock = clock
        self._lock = threading.Lock()
        self._runs: dict[str, Run] = {}  # run id (mode run) or batch id (batch mode) -> run
        self._batches: dict[str, Run] = {}  # batch id -> run, for every run
        self._members: dict[str, Run] = {}  # member run id of a batch-mode run -> run
        self._by_key: dict[str, str] = {}  # Idempotency-Key -> run id
        self._traces: dict[str, dict[str, Any]] = {}
        self.runs_created = 0
        self._created_per_campaign: dict[str, int] = {}  # the n of a random agent's n-th run

    def campaign_of(self, route: Route, params: Mapping[str, str], body: bytes) -> str | None:
        """The campaign a request is about, so that the campaign's own faults can hit it."""
        if "campaign_id" in params:
            found = self.scenario.campaign(params["campaign_id"])
            return found.id if found else None
        if route.target == "create":
            data = _parse(body)
            cid = data.get("campaign_id") if isinstance(data, dict) else None
            found = self.scenario.campaign(cid) if isinstance(cid, str) else None
            return found.id if found else None
        run = self._find(params.get("run_id") or params.get("batch_id") or "")
        return run.campaign.id if run else None

    def _find(self, any_id: str) -> Run | None:
        """The run a run, batch or member run id names."""
        with self._lock:
            return self._runs.get(any_id) or self._batches.get(any_id) or self._members.get(any_id)

    def handle(
        self,
        route: Route,
        params: Mapping[str, str],
        query: Query,
        body: bytes,
        idempotency_key: str | None,
    ) -> Reply:
        template = route.template
        if template == "/v1/campaigns":
            return Reply(200, [_campaign_summary(c) for c in self.scenario.campaigns])
        if template == "/v1/ci/runs":
            return self._create(body, idempotency_key)
        if template == "/v1/traces":
            return self._post_trace(body)
        if template == "/v1/traces/{trace_id}":
            trace = self._traces.get(params["trace_id"])
            return Reply(200, trace) if trace else detail(404, "Trace not found")
        if template in ("/v1/ci/runs/{run_id}", "/v1/ci/batch/{batch_id}"):
            return self._poll(
                params.get("run_id") or params["batch_id"], batch="batch_id" in params
            )
        campaign = self.scenario.campaign(params["campaign_id"])
        if campaign is None:
            return detail(404, "Campaign not found")
        if template == "/v1/campaigns/{campaign_id}":
            return Reply(200, _campaign_summary(campaign))
        if template.endswith("/reliability"):
            return self._reliability(campaign, query)
        return self._failures(campaign, query)

    def dashboard(self, run_id: str) -> Reply:
        with self._lock:
            run = self._runs.get(run_id)
        if run is None:
            return Reply(
                404, b"<h1>run not found</h1>", {"Content-Type": "text/html; charset=utf-8"}
            )
        payload = json.dumps(
            run.payload(self._clock(), self.base_url, self.scenario.reliability_scale), indent=2
        )
        page = f"<h1>{html.escape(run.campaign.name)}</h1><pre>{html.escape(payload)}</pre>"
        return Reply(200, page.encode(), {"Content-Type": "text/html; charset=utf-8"})

    def _create(self, raw: bytes, key: str | None) -> Reply:
        body = _parse(raw)
        if body is _INVALID:
            return _invalid(["body"], "JSON decode error", "json_invalid")
        errors = create_errors(body)
        if errors:
            return Reply(422, {"detail": errors})
        campaign = self.scenario.campaign(body["campaign_id"])
        if campaign is None:
            return detail(404, f"Campaign {body['campaign_id']} not found")
        fingerprint = json.dumps(body, sort_keys=True)
        with self._lock:
            known = self._runs.get(self._by_key[key]) if key and key in self._by_key else None
            if known is not None and known.request_fingerprint != fingerprint:
                return detail(422, "Idempotency-Key was already used with a different request body")
            run = known or self._start(campaign, body, fingerprint)
            if key:
                self._by_key[key] = run.id
        # The official SDK reads batch_id; the CI docs' clients read run_id (a batch has none).
        ids = (
            {"batch_id": run.batch_id}
            if run.is_batch
            else {"run_id": run.id, "batch_id": run.batch_id}
        )
        return Reply(200, {**ids, "status": "queued"})

    def _start(self, campaign: CampaignSpec, body: Mapping[str, Any], fingerprint: str) -> Run:
        is_batch = campaign.mode == "batch"
        members = tuple(str(uuid.uuid4()) for _ in range(campaign.trace_count)) if is_batch else ()
        run_id = str(uuid.uuid4())
        thresholds = {k: v for k, v in (body.get("thresholds") or {}).items() if v is not None}
        index = self._created_per_campaign.get(campaign.id, 0) + 1
        self._created_per_campaign[campaign.id] = index
        run = Run(
            run_id,
            campaign,
            thresholds,
            self._clock(),
            body.get("trace_id"),
            fingerprint,
            member_ids=members,
            batch_id=run_id if is_batch else str(uuid.uuid4()),
            drawn=draw_metrics(campaign.metrics, self.scenario.seed, campaign.id, index),
        )
        self._runs[run.id] = run
        self._batches[run.batch_id] = run
        self._members.update(dict.fromkeys(members, run))
        self.runs_created += 1
        return run

    def _poll(self, run_id: str, *, batch: bool) -> Reply:
        with self._lock:
            run = self._batches.get(run_id) if batch else self._runs.get(run_id)
        if run is None or (run.is_batch and not batch):
            return detail(404, "Batch not found" if batch else "Run not found")
        payload = run.payload(
            self._clock(), self.base_url, self.scenario.reliability_scale, as_batch=batch
        )
        return Reply(200, payload)

    def _run_of(self, campaign: CampaignSpec, query: Query) -> tuple[Run | None, Reply | None]:
        """The run a `run_id` query names (its run, batch or a member run id), or a 404."""
        run_id = query.get("run_id", [""])[0]
        if not run_id:
            return None, None
        run = self._find(run_id)
        if run is None or run.campaign.id != campaign.id:
            return None, detail(404, "Run not found")
        return run, None

    def _reliability(self, campaign: CampaignSpec, query: Query) -> Reply:
        run, error = self._run_of(campaign, query)
        if error is not None:
            return error
        asked = query.get("run_id", [""])[0] or None
        body: dict[str, Any] = {"campaign_id": campaign.id, "run_id": asked}
        if run is not None and run.status(self._clock()) != "done":
            body.update(
                reliability_score=None,
                status="pending",
                classified_failures=None,
                failure_breakdown=[],
            )
            return Reply(200, body)
        m = campaign.metrics
        body["reliability_score"] = scaled_reliability(m, self.scenario.reliability_scale)
        body["status"] = _health(m.reliability_score)
        body["classified_failures"] = m.failures
        body["failure_breakdown"] = [
            {"tool": t.tool, "count": t.count} for t in m.top_failing_tools
        ]
        return Reply(200, body)

    def _failures(self, campaign: CampaignSpec, query: Query) -> Reply:
        try:
            limit = int(query.get("limit", ["200"])[0])
            offset = int(query.get("offset", ["0"])[0])
        except ValueError:
            return _invalid(["query"], "limit and offset should be valid integers", "int_parsing")
        if not 1 <= limit <= 1000 or offset < 0:
            return _invalid(["query"], "limit should be 1-1000 and offset >= 0", "value_error")
        run, error = self._run_of(campaign, query)
        if error is not None:
            return error
        now = self._clock()
        with self._lock:
            runs = (
                [run] if run else [r for r in self._runs.values() if r.campaign.id == campaign.id]
            )
        items = [f for r in runs if r.status(now) == "done" for f in r.failures()]
        asked = query.get("run_id", [""])[0]
        if run is not None and asked in run.members:
            items = [f for f in items if f["run_id"] == asked]  # one member run's own failures
        return Reply(200, items[offset : offset + limit])

    def _post_trace(self, raw: bytes) -> Reply:
        body = _parse(raw)
        if body is _INVALID:
            return _invalid(["body"], "JSON decode error", "json_invalid")
        if not isinstance(body, dict) or not isinstance(body.get("events"), list):
            return _invalid(["body", "events"], "Field required: a list of events", "missing")
        task = body.get("task")
        trace_id = str(uuid.uuid4())
        trace: dict[str, Any] = {
            "trace_id": trace_id,
            "trace_version": body.get("trace_version"),
            "source": body.get("source"),
            "task": task.get("name") if isinstance(task, dict) else None,
            "event_count": len(body["events"]),
            "created_at": now_iso(),
        }
        with self._lock:
            self._traces[trace_id] = trace
        return Reply(200, {"trace_id": trace_id})


_INVALID = object()


def _parse(raw: bytes) -> Any:
    # Client JSON is untrusted too: a 4,301-digit integer or a lone surrogate must not crash
    # the handler thread or the pages that show it back.
    try:
        return untrusted_json.loads(raw or b"null")
    except untrusted_json.UntrustedJSONError:
        return _INVALID
