"""Shared fixtures of the binding's tests.

The tests run against the installed package (run-tests.sh installs it with
pip into a private virtualenv); COUPONLIB_SOURCE_ROOT names the couponlib
tree for the example coupons and the test files.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

ROOT = Path(os.environ.get("COUPONLIB_SOURCE_ROOT") or Path(__file__).resolve().parents[3])
SHOP = ROOT / "examples" / "coupons" / "shop.yaml"
CASES = ROOT / "tests" / "cases"
TIME_CASES = ROOT / "tests" / "time"
SHARED = ROOT.parent / "shared" / "conformance"


@pytest.fixture(scope="session")
def shop():
    import couponlib
    return couponlib.compile(SHOP)


def cart(**over):
    """A Black Friday checkout against the example shop."""
    base = {
        "now": "2026-11-27T14:00:00Z", "currency": "USD", "codes": ["VIP20", "TENTH"],
        "user": {"id": "u-7", "email": "ann@example.com", "tags": ["vip"],
                 "orders_completed": 9},
        "payment": {"method": "card", "network": "mastercard", "bin": "552260"},
        "shipping": {"method": "express", "country": "US", "amount": "12.00"},
        "items": [
            {"sku": "OLED-65", "quantity": 1, "unit_price": "1899.00",
             "categories": ["electronics/tv/oled"]},
            {"sku": "COAT-M", "quantity": 1, "unit_price": "180.00",
             "categories": ["fashion/coats"]},
            {"sku": "SCARF", "quantity": 2, "unit_price": "25.00",
             "categories": ["fashion/accessories"], "on_sale": True},
        ],
        "usage": {"TENTH": {"total": 12, "user": 0}},
    }
    base.update(over)
    return base


@pytest.fixture
def ctx_dict():
    return cart()
