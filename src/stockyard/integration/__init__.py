"""The asynchronous integration layer (ARCHITECTURE §5): outbox relay, broker, idempotent consumers, webhooks,
channel connectors."""
