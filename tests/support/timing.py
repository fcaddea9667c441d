"""The suite's only time figures: bounds a loaded 2-core machine meets, never speed targets.

Tests assert on what the code did (states, counts, bytes). Where a promise is about time,
they use these generous bounds and the tight figure lives in a bench/ script.
"""

from __future__ import annotations

# Something that would otherwise take a minute or more (a 60 s Retry-After, a 200 s job) ends
# within this: enough to prove the stop, and met at 4x load on 2 cores.
LOADED_BOUND_S = 20.0

# How long a test waits for a process to reach a state it will reach (a phase begins, a URL
# is printed): only a hang ever uses it up.
WAIT_S = 60.0
