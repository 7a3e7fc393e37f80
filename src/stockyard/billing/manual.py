"""Manual payment methods (bank transfer, cash on delivery): no money moves through us.

Authorising only records that the order waits for its money ("pending"); staff mark it paid when the transfer
arrives or the courier hands the cash over (billing/payments.py `mark_paid`). A void or a refund is bookkeeping:
staff return the money by hand, and the log says so.
"""

from collections.abc import Mapping
from decimal import Decimal

from stockyard.billing.gateways import AuthorizeRequest, ChargeStatus, GatewayResult, WebhookEvent, WebhookRejected


class ManualGateway:
    def __init__(self, key: str) -> None:
        self.key = key

    def authorize(self, request: AuthorizeRequest) -> GatewayResult:
        what = "the bank transfer" if self.key == "manual_bank_transfer" else "payment on delivery"
        return GatewayResult("pending", message=f"waiting for {what}")

    def capture(self, reference: str, amount: Decimal) -> GatewayResult:
        return GatewayResult("error", reference, message="a manual payment is marked paid, not captured")

    def void(self, reference: str) -> GatewayResult:
        return GatewayResult("approved", reference, message="nothing was collected")

    def void_by_key(self, idempotency_key: str) -> GatewayResult:
        return GatewayResult("approved", message="nothing was collected")

    def refund(self, reference: str, amount: Decimal) -> GatewayResult:
        return GatewayResult("approved", reference, message="to be paid back by hand")

    def retrieve(self, reference: str) -> ChargeStatus | None:
        return None  # nothing to ask: staff mark it paid

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookEvent:
        raise WebhookRejected("manual payment methods receive no webhooks")
