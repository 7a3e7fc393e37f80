"""Adapters of the external platforms: one module per platform and side.

Order side (inbound, this package's `generic`, `shopify`, `woocommerce` modules, looked up by
`orders.order_adapter(name)`): check the platform's webhook signature, parse its order payload into an
`InboundOrder` (integration/channels/domain.py), and describe how its orders are polled.
"""
