"""What the operator runs the bot with: structured logs (`logs`), Prometheus metrics
(`metrics`) and the /healthz endpoint (`health`)."""
