"""What every service shares, written once: settings, logging, broker wiring, retry and DLQ, HTTP
health and metrics, the store client."""
