"""Database layer: engine and sessions, models per domain, queries, the embedded server."""
