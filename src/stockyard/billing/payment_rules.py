"""Pure rules of a payment's life: which states allow which action, and the state its amounts imply.

    pending ──mark paid──▶ captured                      (manual methods: waiting for the money)
    requires_action ──confirmed──▶ authorized | cancelled──▶ failed
    authorized ──capture──▶ partially_captured ──capture──▶ captured
    partially_captured | captured ──refund──▶ partially_refunded ──refund──▶ refunded
    pending | requires_action | authorized ──void──▶ voided

Once anything is refunded the payment takes no further captures (the gateways refuse them too).
"""

from decimal import Decimal

STATES = ("pending", "requires_action", "authorized", "partially_captured", "captured", "partially_refunded",
          "refunded", "voided", "failed")
CAPTURABLE = ("authorized", "partially_captured")
REFUNDABLE = ("partially_captured", "captured", "partially_refunded")
VOIDABLE = ("pending", "requires_action", "authorized")
# Money is (or may still be) on its way: the order's payment, as opposed to a failed or voided attempt.
LIVE = ("pending", "requires_action", "authorized", "partially_captured", "captured", "partially_refunded", "refunded")


def state_after(amount: Decimal, captured: Decimal, refunded: Decimal) -> str:
    """The state of an authorised payment with these totals."""
    if not (Decimal(0) <= refunded <= captured <= amount):
        raise ValueError(f"impossible totals: refunded {refunded}, captured {captured}, amount {amount}")
    if refunded > 0:
        return "refunded" if refunded == captured else "partially_refunded"
    if captured > 0:
        return "captured" if captured == amount else "partially_captured"
    return "authorized"
