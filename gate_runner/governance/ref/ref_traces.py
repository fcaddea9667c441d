"""Under ``--policy-ref`` a campaign's ``trace_file`` is read from the ref's git objects too.

The trace is what a campaign replays: a pull request that swapped the file in its working
tree would judge the agent against its own trace. So the policy at the ref reads each trace
at the ref (as named in the file that declares it, symlinks resolved in the tree at the ref),
and a pull request whose own policy judges gets the ref's trace wherever it names the same one.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from gate_runner.config.extends import read_error_text
from gate_runner.errors import Diagnostic, PolicyError
from gate_runner.governance.ref.git_source import GitRefReader, as_named
from gate_runner.policy import Campaign, EffectiveValue, Policy
from gate_runner.untrusted_json import MAX_FILE_BYTES


def traces_at_ref(policy: Policy, reader: GitRefReader) -> Policy:
    """`policy` (loaded at the ref) with each trace_file read from the ref: its bytes kept,
    shown as ``REF:path``. One the ref has but cannot give (a symlink out of the tree, over
    the size cap) is its error at the line (exit 2); one it lacks is left to the upload."""
    written = _trace_values(policy)
    campaigns = []
    for campaign in policy.campaigns:
        value = written.get(campaign.key)
        if campaign.trace_file is None or value is None or value.origin is None:
            campaigns.append(campaign)
            continue
        origin = value.origin
        declaring = reader.resolve(as_named(Path(origin.file)))
        path = Path(os.path.normpath(declaring.parent / str(value.value)))
        try:
            data = reader(path, MAX_FILE_BYTES)
        except FileNotFoundError:
            # Not in git at the ref: a trace the job makes, which no pull request can swap
            # at the ref either; the working tree's is read at upload, as without a ref.
            campaigns.append(campaign)
            continue
        except OSError as error:
            message = (
                f"campaigns.{campaign.key}.trace_file: cannot read {value.value} at "
                f"{reader.ref.name}: {read_error_text(error)}"
            )
            raise PolicyError([Diagnostic(origin.file, origin.line, origin.col, message)]) from None
        campaigns.append(replace(campaign, trace_file=reader.label(path), trace_data=data))
    return replace(policy, campaigns=tuple(campaigns))


def with_traces_of(head: Policy, base: Policy) -> Policy:
    """The pull request's policy, judging, with the ref's trace wherever it names the same
    trace_file as the ref's policy (a different one is a change the diff reports)."""
    base_written, head_written = _trace_values(base), _trace_values(head)
    by_key = {c.key: c for c in base.campaigns}

    def same_trace(campaign: Campaign) -> Campaign:
        theirs = by_key.get(campaign.key)
        if theirs is None or theirs.trace_data is None or campaign.trace_file is None:
            return campaign
        ours, at_ref = head_written.get(campaign.key), base_written.get(campaign.key)
        if ours is None or at_ref is None or ours.value != at_ref.value:
            return campaign
        return replace(campaign, trace_file=theirs.trace_file, trace_data=theirs.trace_data)

    return replace(head, campaigns=tuple(same_trace(c) for c in head.campaigns))


def _trace_values(policy: Policy) -> dict[str, EffectiveValue]:
    """Each campaign's trace_file as written (relative to its file), by campaign key."""
    found = {}
    for campaign in policy.campaigns:
        wanted = f"campaigns.{campaign.key}.trace_file"
        match = next((v for v in policy.effective if v.path == wanted), None)
        if match is not None:
            found[campaign.key] = match
    return found
