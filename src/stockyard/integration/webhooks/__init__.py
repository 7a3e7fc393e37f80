"""Outbound webhooks: per-tenant subscriptions, HMAC-SHA256 signed deliveries with retries and a delivery log."""
