"""The semantic policy diff: each change classed (loosens, tightens, neutral), rendered, ruled on."""
