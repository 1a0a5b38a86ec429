"""A tiny storefront that calls its billing service."""

import os

import requests

BILLING_URL = os.environ.get("BILLING_API_URL", "https://billing-api.fly.dev")


def charge(order_id: str, cents: int) -> dict:
    response = requests.post(f"{BILLING_URL}/charges", json={"order": order_id, "amount": cents})
    response.raise_for_status()
    return response.json()
