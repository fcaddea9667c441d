"""Reports from the verdict: the format registry, --report parsing and writing, a module each."""
