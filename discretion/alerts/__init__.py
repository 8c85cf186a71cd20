"""Alerts raised by decision checks: listing and handling (store.py), delivery to webhooks (webhooks.py)."""
