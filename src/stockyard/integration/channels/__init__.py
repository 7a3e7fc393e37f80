"""Channels: external stores and marketplaces connected to a tenant (issue 6).

Inbound half: connections (models.py), inbound orders (inbound.py), customer linkage (linkage.py), polling
(polling.py), CSV order upload (csv_orders.py), and the platforms' order payloads (adapters/).
"""
