"""What operators see of a running API: request ids, JSON logs, Prometheus metrics."""
