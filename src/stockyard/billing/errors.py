"""Payment errors the customer sees (the web edge answers 402 Payment Required)."""

from stockyard.core.errors import Conflict


class PaymentFailed(Conflict):
    """The payment did not go through; nothing was charged and the caller's transaction rolls back."""


class PaymentDeclined(PaymentFailed):
    """The card issuer or the gateway refused the payment."""


class PaymentTimedOut(PaymentFailed):
    """The gateway did not answer in time; whatever it may have done was reversed by idempotency key."""
