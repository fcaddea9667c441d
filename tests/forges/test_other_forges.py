"""GitLab commit statuses, Bitbucket Code Insights, Azure DevOps PR statuses: loopback fakes."""

from __future__ import annotations

import re
import time
from dataclasses import replace
from typing import Any
from urllib.parse import unquote

import jsonschema
import pytest
from support import LoopbackServer

from gate_runner.forges.bitbucket import reports as bitbucket
from gate_runner.forges.http import ForgeAPI, PublishError
from gate_runner.forges.publish import publish_statuses
from gate_runner.forges.statuses import statuses
from gate_runner.secrets import forge_tokens as forge_status_tokens

from . import gitlab_fake
from .fake import Answer, Request, fake_forge
from .schemas import (
    DATA_VALUE,
    azure_status,
    bitbucket_annotations,
    bitbucket_data_formats,
    bitbucket_data_types,
    bitbucket_report,
)
from .verdicts import TOKEN, many_findings, mixed

SHA = "0123456789abcdef0123456789abcdef01234567"


def _on(vendor: str, verdict=None):  # type: ignore[no-untyped-def]
    verdict = verdict or mixed()
    return replace(verdict, ci=replace(verdict.ci, vendor=vendor))


# ---------------------------------------------------------------- GitLab


def _gitlab(**kwargs: object) -> gitlab_fake.Project:
    """Project 278964 with one branch pipeline, 1234, on the verdict's commit."""
    pipelines = [gitlab_fake.Pipeline(1234, SHA, "feature/refunds")]
    return gitlab_fake.Project(278964, TOKEN, {SHA}, {"feature/refunds": SHA}, pipelines, **kwargs)  # type: ignore[arg-type]


def _gitlab_env(url: str) -> dict[str, str]:
    return {
        "GITLAB_TOKEN": TOKEN,
        "CI_API_V4_URL": f"{url}/api/v4",
        "CI_PROJECT_ID": "278964",
        "CI_PIPELINE_ID": "1234",
        "CI_COMMIT_REF_NAME": "feature/refunds",
    }


def test_gitlab_a_commit_status_per_campaign_and_the_gate() -> None:
    project = _gitlab()
    with fake_forge(project) as fake:
        assert publish_statuses(_on("gitlab"), _gitlab_env(fake.url)) == []
    assert {r.target for r in fake.requests} == {f"/api/v4/projects/278964/statuses/{SHA}"}
    bodies = [r.body for r in fake.requests]
    assert [(b["name"], b["state"]) for b in bodies] == [
        ("gate-runner / core-reliability", "failed"),
        ("gate-runner / checkout-flow", "success"),
        ("gate-runner / smoke", "success"),
        ("gate-runner", "failed"),
    ]
    assert bodies[0]["pipeline_id"] == 1234
    assert bodies[0]["ref"] == "feature/refunds"
    assert bodies[0]["target_url"] == "https://app.sepurux.dev/runs/r-7"
    assert len(project.pipeline(1234).statuses) == 4 and project.external() == []


def test_gitlab_a_rerun_with_the_same_state_is_not_a_warning() -> None:
    with fake_forge(_gitlab(already=True)) as fake:
        assert publish_statuses(_on("gitlab"), _gitlab_env(fake.url)) == []
    assert len(fake.requests) == 4


def test_gitlab_a_refused_token_is_one_warning() -> None:
    with fake_forge(_gitlab(refuse=403)) as fake:
        warnings = publish_statuses(_on("gitlab"), _gitlab_env(fake.url))
    assert warnings == [
        "status 'gate-runner / core-reliability' not published: "
        f"POST /api/v4/projects/278964/statuses/{SHA} answered 403 Forbidden"
    ]
    assert len(fake.requests) == 1


def test_gitlab_a_pipeline_under_no_ref_is_one_warning_after_every_ref_was_tried() -> None:
    """Pipeline 1234 is not on this commit: each possible ref is asked once, then it stops."""
    project = _gitlab()
    project.pipelines = [gitlab_fake.Pipeline(1234, "f" * 40, "feature/refunds")]
    project.commits.add("f" * 40)
    with fake_forge(project) as fake:
        warnings = publish_statuses(_on("gitlab"), _gitlab_env(fake.url))
    assert [r.body.get("ref") for r in fake.requests] == ["feature/refunds", None]
    assert warnings == [
        "status 'gate-runner / core-reliability' not published: "
        f"POST /api/v4/projects/278964/statuses/{SHA} answered 404 Not Found "
        "(pipeline 1234 was not found at this commit under any of its 2 possible refs)"
    ]
    assert project.external() == []


# ---------------------------------------------------------------- Bitbucket Cloud


class BitbucketProxy:
    """The Pipelines auth proxy in front of the Code Insights API.

    https://support.atlassian.com/bitbucket-cloud/docs/code-insights/ : inside Pipelines,
    requests go to http://api.bitbucket.org through the proxy at localhost:29418, with no
    credentials of their own.
    https://developer.atlassian.com/cloud/bitbucket/rest/api-group-reports/ :
    PUT /2.0/repositories/{workspace}/{repo_slug}/commit/{commit}/reports/{reportId} with a
    `report` -> 200 with the report; POST .../reports/{reportId}/annotations with 1 to 100
    `report_annotation`s -> 200. Both bodies are validated against the excerpt of Bitbucket's
    OpenAPI description (schemas/bitbucket-code-insights.json), which also limits what is
    sent to the fields it names.
    """

    REPORT = re.compile(
        r"http://api\.bitbucket\.org/2\.0/repositories/acme/agent/commit/([0-9a-f]{40})"
        r"/reports/([A-Za-z0-9_-]+)(/annotations)?"
    )

    def __call__(self, request: Request) -> Answer:
        assert "authorization" not in request.headers  # the proxy authenticates
        match = self.REPORT.fullmatch(request.target)
        if match is None:
            return Answer(404, {"type": "error", "error": {"message": "not found"}})
        try:
            if match.group(3) is None:
                assert request.method == "PUT"
                bitbucket_report(request.body)
                assert len(request.body["details"]) <= 2000
                return Answer(200, {"uuid": "{r}", "external_id": match.group(2), **request.body})
            assert request.method == "POST"
            bitbucket_annotations(request.body)
            assert all(len(item["summary"]) <= 450 for item in request.body)
        except (AssertionError, jsonschema.ValidationError) as exc:
            # The description's 400: "The provided Report object is malformed or incomplete."
            return Answer(400, {"type": "error", "error": {"message": str(exc)[:200]}})
        return Answer(200, [{"uuid": "{a}", **item} for item in request.body])


def test_bitbucket_reports_through_the_pipelines_proxy() -> None:
    env = {"BITBUCKET_BUILD_NUMBER": "7", "BITBUCKET_REPO_FULL_NAME": "acme/agent"}
    verdict = _on("bitbucket", many_findings(150))
    with fake_forge(BitbucketProxy()) as fake:
        warnings = bitbucket.publish(statuses(verdict), verdict.ci, env, proxy=fake.url)
    assert warnings == []
    puts = fake.calls("PUT")
    assert [p.body["title"] for p in puts] == ["gate-runner / core-reliability", "gate-runner"]
    assert [p.body["result"] for p in puts] == ["FAILED", "FAILED"]
    assert puts[1].target.endswith(f"/commit/{SHA}/reports/gate-runner")
    campaign_report = puts[0].target.rsplit("/", 1)[1]
    assert re.fullmatch(r"gate-runner-core-reliability-[0-9a-f]{10}", campaign_report)
    batches = [len(p.body) for p in fake.calls("POST")]
    assert batches == [100, 50]
    assert all(p.target.endswith(f"/{campaign_report}/annotations") for p in fake.calls("POST"))


def test_bitbucket_bodies_carry_their_types_and_typed_data_values() -> None:
    """`type` is required by `object`, the base of `report` and `report_annotation`; a LINK
    value is an object {text, href}, as the Data field formats table says."""
    verdict = _on("bitbucket")
    with fake_forge(BitbucketProxy()) as fake:
        env = {"BITBUCKET_BUILD_NUMBER": "7", "BITBUCKET_REPO_FULL_NAME": "acme/agent"}
        assert bitbucket.publish(statuses(verdict), verdict.ci, env, proxy=fake.url) == []
    report = fake.calls("PUT")[0].body
    assert report["type"] == "report"
    assert {
        "title": "Details",
        "type": "LINK",
        "value": {
            "text": "gate-runner / core-reliability",
            "href": "https://app.sepurux.dev/runs/r-7",
        },
    } in report["data"]
    assert {item["type"] for call in fake.calls("POST") for item in call.body} == {
        "report_annotation"
    }


def test_the_data_value_rule_follows_the_published_table() -> None:
    """schemas.DATA_VALUE, the rule the fake checks, has one entry per data `type` of the
    description, each with the JSON type the description's table names."""
    table = bitbucket_data_formats()
    assert (
        sorted(DATA_VALUE)
        == sorted(bitbucket_data_types())
        == sorted(set(table) - {"None/ Omitted"})
    )
    for kind, rule in DATA_VALUE.items():
        assert table[kind].lower().startswith(rule["type"]), (kind, table[kind], rule)


def test_bitbucket_report_ids_are_unique_and_safe() -> None:
    keys = ["a/b", "a b", "a" * 80, "ü"]
    verdict = replace(mixed(), campaigns=tuple(replace(mixed().campaigns[0], key=k) for k in keys))
    ids = [bitbucket.report_id(s) for s in statuses(verdict)]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{1,64}", i) for i in ids)


def test_bitbucket_outside_pipelines_needs_a_token() -> None:
    assert publish_statuses(_on("bitbucket"), {"BITBUCKET_REPO_FULL_NAME": "acme/agent"}) == [
        "statuses not published: outside Bitbucket Pipelines set BITBUCKET_ACCESS_TOKEN "
        "(repository:write)"
    ]


# ---------------------------------------------------------------- Azure DevOps


class Azure:
    """https://learn.microsoft.com/en-us/rest/api/azure/devops/git/pull-request-statuses/create

    POST {organization}/{project}/_apis/git/repositories/{repositoryId}/pullRequests/
    {pullRequestId}/statuses?api-version=7.1, body a GitPullRequestStatus (state: notSet,
    pending, succeeded, failed, error, notApplicable; description; context {name, genre};
    targetUrl) -> 200 with the status and its id. Validated against the spec excerpt.
    """

    PATH = re.compile(
        r"/fabrikam/([^/]+)/_apis/git/repositories/([^/]+)/pullRequests/(\d+)/statuses"
        r"\?api-version=7\.1"
    )

    def __call__(self, request: Request) -> Answer:
        assert request.headers["authorization"] == f"Bearer {TOKEN}"
        match = self.PATH.fullmatch(request.target)
        if request.method != "POST" or match is None:
            return Answer(404, {"message": "not found"})
        assert unquote(match.group(1)) == "Agent Project"
        azure_status(request.body)
        return Answer(200, {"id": 1, **request.body})


def _azure_env(url: str) -> dict[str, str]:
    return {
        "SYSTEM_ACCESSTOKEN": TOKEN,
        "SYSTEM_COLLECTIONURI": f"{url}/fabrikam/",
        "SYSTEM_TEAMPROJECT": "Agent Project",
        "BUILD_REPOSITORY_ID": "b92c8408-a0c9-4292-88af-bc005a1b8272",
        "BUILD_REPOSITORY_PROVIDER": "TfsGit",
        "SYSTEM_PULLREQUEST_PULLREQUESTID": "3",
    }


def test_azure_a_pull_request_status_per_campaign_and_the_gate() -> None:
    with fake_forge(Azure()) as fake:
        assert publish_statuses(_on("azure"), _azure_env(fake.url)) == []
    bodies = [r.body for r in fake.requests]
    assert [(b["context"]["name"], b["state"]) for b in bodies] == [
        ("gate-runner / core-reliability", "failed"),
        ("gate-runner / checkout-flow", "succeeded"),
        ("gate-runner / smoke", "succeeded"),
        ("gate-runner", "failed"),
    ]
    assert bodies[0]["targetUrl"] == "https://app.sepurux.dev/runs/r-7"


@pytest.mark.parametrize(
    ("change", "warning"),
    [
        (
            {"BUILD_REPOSITORY_PROVIDER": "GitHub"},
            "pull request statuses need Azure Repos, not GitHub",
        ),
        ({"SYSTEM_PULLREQUEST_PULLREQUESTID": ""}, "this build is not for a pull request"),
        ({"SYSTEM_ACCESSTOKEN": ""}, "SYSTEM_ACCESSTOKEN is not set"),
    ],
)
def test_azure_says_why_it_posts_nothing(change: dict[str, str], warning: str) -> None:
    with fake_forge(Azure()) as fake:
        warnings = publish_statuses(_on("azure"), {**_azure_env(fake.url), **change})
    assert len(warnings) == 1 and warning in warnings[0]
    assert fake.requests == []


# ---------------------------------------------------------------- every forge


def test_other_vendors_get_a_warning_and_no_request() -> None:
    assert publish_statuses(_on("jenkins"), {}) == [
        "statuses are published on GitHub, GitLab, Bitbucket Cloud and Azure DevOps, not on jenkins"
    ]


def test_an_unexpected_failure_is_a_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(*_: object, **__: object) -> list[str]:
        raise RuntimeError(TOKEN)

    from gate_runner.forges import gitlab

    monkeypatch.setattr(gitlab, "publish", explode)
    assert publish_statuses(_on("gitlab"), {"GITLAB_TOKEN": TOKEN}) == [
        "statuses not published: unexpected RuntimeError"
    ]


def test_forge_status_tokens_lists_every_forge_token() -> None:
    env = {
        "GITHUB_TOKEN": "a",
        "GATE_RUNNER_GITLAB_TOKEN": "b",
        "SYSTEM_ACCESSTOKEN": "c",
        "BITBUCKET_ACCESS_TOKEN": "d",
        "GITLAB_TOKEN": "",
        "PATH": "/bin",
    }
    assert sorted(forge_status_tokens(env)) == ["a", "b", "c", "d"]


def test_a_url_off_the_api_origin_is_never_called() -> None:
    with (
        fake_forge(lambda r: Answer(200, {})) as fake,
        ForgeAPI(fake.url, {}) as api,
        pytest.raises(PublishError, match="not on the forge's API origin"),
    ):
        api.call("GET", "http://127.0.0.2:1/x")
    assert fake.requests == []


@pytest.mark.parametrize(
    "target",
    [
        # urllib.parse and urllib3 read these differently: no certain origin, no call.
        "{url}\\@127.0.0.2:1/x",
        "http://user@{host}/x",
    ],
)
def test_a_url_whose_origin_is_not_certain_is_never_called(target: str) -> None:
    """The forge client uses gate_runner.origins, the one same-origin rule, not its own."""
    with (
        fake_forge(lambda r: Answer(200, {})) as fake,
        ForgeAPI(fake.url, {}) as api,
        pytest.raises(PublishError, match="not on the forge's API origin"),
    ):
        host = fake.url.split("://", 1)[1].split("/", 1)[0]
        api.call("GET", target.format(url=fake.url, host=host))
    assert fake.requests == []


def test_every_publishing_token_is_in_the_secret_set() -> None:
    """--publish sends these: the secrets module masks and scrubs each (Azure's and
    Bitbucket's were missing: --comment never used them)."""
    from gate_runner.secrets import secret_set

    env = {
        "SYSTEM_ACCESSTOKEN": "azure-token-1234",
        "BITBUCKET_ACCESS_TOKEN": "bb-token-5678",
        "GATE_RUNNER_GITLAB_TOKEN": "glpat-0000",
    }
    secrets = secret_set(env, token_env="SEPURUX_API_KEY")
    assert set(env.values()) <= set(secrets.values)
    assert secrets.scrub("x azure-token-1234 bb-token-5678") == "x *** ***"


@pytest.mark.parametrize("vendor", ["gitlab", "azure"])
def test_past_the_deadline_nothing_is_sent_and_one_warning_says_so(vendor: str) -> None:
    """GitLab posts each status on its own: once the deadline passed it stops, not one
    warning per campaign (Azure, like the others, already stops at its first failure)."""
    env = {
        **_gitlab_env("http://127.0.0.1:9"),
        "SYSTEM_ACCESSTOKEN": TOKEN,
        "SYSTEM_COLLECTIONURI": "http://127.0.0.1:9/org/",
        "SYSTEM_TEAMPROJECTID": "p",
        "BUILD_REPOSITORY_ID": "r",
        "SYSTEM_PULLREQUEST_PULLREQUESTID": "3",
    }
    with fake_forge(lambda r: Answer(201, {})) as fake:
        env = {k: v.replace("http://127.0.0.1:9", fake.url) for k, v in env.items()}
        warnings = publish_statuses(_on(vendor), env, deadline=time.monotonic() - 1)
    assert fake.requests == []
    assert len(warnings) == 1 and warnings[0].endswith("not sent, the publishing deadline passed")


@pytest.mark.slow
def test_gitlab_an_answer_dripping_past_the_deadline_ends_the_other_statuses() -> None:
    with LoopbackServer() as server:

        def drip(handler: Any) -> None:
            handler.wfile.write(b"HTTP/1.0 201 Created\r\nContent-Type: application/json\r\n\r\n{")
            while not server.release.wait(0.1):
                try:
                    handler.wfile.write(b" ")
                    handler.wfile.flush()
                except OSError:
                    return

        server.route = lambda _request: Answer(write=drip)
        warnings = publish_statuses(
            _on("gitlab"), _gitlab_env(server.url), deadline=time.monotonic() + 1.0
        )
        sent = len(server.requests)
    assert sent == 1  # the statuses after it would only wait for the same deadline
    assert len(warnings) == 1 and "the answer was still arriving" in warnings[0]
