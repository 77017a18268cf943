"""Ping-post auction wall time: 10 local buyers of which 2 never answer in time; bounded by the timeout, not the sum.

Run: .venv/bin/python -m bench.buyers   (also part of `make bench`)
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Row, embedded_django, emit  # noqa: E402

BUYERS, SLOW_BUYERS, TIMEOUT_MS, AUCTIONS = 10, 2, 500, 20
SLOW_SECONDS = 3.0  # far beyond the timeout: a sequential auction would wait 2 x 500 ms at least


def auction_times() -> dict:
    """Seconds per auction (ping 10 buyers at once, post to the winner) over AUCTIONS leads."""
    embedded_django("buyers")
    import logging

    logging.disable(logging.INFO)
    from campaigns.buyers.services import lead_distribute
    from campaigns.models import Campaign, Lead, LeadDistribution
    from tests.campaigns.buyers.buyer_server import BuyerServer, Reply, slow
    from tests.factories import BuyerFactory, CampaignFactory, LeadFactory, SupplierFactory

    server = BuyerServer().start()
    rng = random.Random(8)
    campaign = CampaignFactory(distribution_mode=Campaign.Distribution.BUYERS_ONLY,
                               buyer_method=Campaign.BuyerMethod.AUCTION, floor_price=Decimal("5"))
    for index in range(BUYERS):
        ping = (slow(SLOW_SECONDS) if index < SLOW_BUYERS
                else Reply(body={"bid": rng.randint(6, 40)}, delay=rng.uniform(0.01, 0.05)))
        buyer = BuyerFactory(name=f"bench-{index}", timeout_ms=TIMEOUT_MS, price=Decimal("5"),
                             ping_url=server.script(f"/{index}/ping", ping),
                             endpoint_url=server.script(f"/{index}/post", Reply()))
        buyer.campaigns.add(campaign)
    supplier = SupplierFactory()
    samples, sold = [], 0
    for _ in range(AUCTIONS):
        lead = LeadFactory(campaign=campaign, supplier=supplier, status=Lead.Status.SELLING)
        LeadDistribution.objects.create(lead=lead, method=campaign.buyer_method)
        started = time.perf_counter()
        result = lead_distribute(lead_id=lead.pk)
        samples.append(time.perf_counter() - started)
        sold += result.action == "sold"
    server.stop()
    samples.sort()
    return {"p50": statistics.median(samples), "max": samples[-1], "sold": sold}


def rows() -> list[Row]:
    t = auction_times()
    sequential_floor = SLOW_BUYERS * TIMEOUT_MS / 1000
    return [Row(
        metric=f"auction wall time, {BUYERS} buyers ({SLOW_BUYERS} time out)", mode="embedded",
        value=f"p50 {t['p50'] * 1000:.0f} ms, max {t['max'] * 1000:.0f} ms",
        floor=f"timeout {TIMEOUT_MS} ms", ratio=f"{t['p50'] * 1000 / TIMEOUT_MS:.2f}x timeout",
        note=f"parallel pings + post + DB writes; sold {t['sold']}/{AUCTIONS}; sequential would be "
             f">= {sequential_floor * 1000:.0f} ms",
    )]


if __name__ == "__main__":
    emit(rows())
