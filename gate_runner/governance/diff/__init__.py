"""The semantic policy diff: each change classed (loosens, tightens, neutral) and ruled on."""
