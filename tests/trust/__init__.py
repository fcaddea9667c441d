"""Trust suites: fault matrix, cancellation, properties, secrets, remote policies."""
