"""Ping-post auction against a real local buyer server: highest bid wins, floor, parallel timeouts, post failure,
and pings that carry no personal data."""

import time
from decimal import Decimal

import pytest

from campaigns.buyers.services import lead_distribute
from campaigns.models import BuyerDelivery, Campaign, Lead
from tests.campaigns.buyers.buyer_server import ACCEPT, ERROR_500, REJECT, Reply, bid, slow
from tests.campaigns.buyers.conftest import make_buyer, selling_lead

pytestmark = pytest.mark.django_db


@pytest.fixture
def auction(campaign):
    Campaign.objects.filter(pk=campaign.pk).update(buyer_method="auction", floor_price=Decimal("10.00"))
    campaign.refresh_from_db()
    return campaign


def bidder(server, campaign, name, ping_reply, post_reply=ACCEPT, **extra):
    return make_buyer(campaign, name=name, url=server.script(f"/{name}/post", post_reply),
                      ping_url=server.script(f"/{name}/ping", ping_reply), **extra)


def test_highest_bid_wins_and_only_the_winner_gets_the_full_lead(server, auction, supplier):
    bidder(server, auction, "low", bid(12))
    top = bidder(server, auction, "top", bid("31.40"))
    bidder(server, auction, "mid", bid(25))
    lead = selling_lead(auction, supplier)

    result = lead_distribute(lead_id=lead.pk)

    assert (result.action, result.buyer_id, result.price) == ("sold", top.pk, Decimal("31.40"))
    assert sorted(r.path for r in server.received if r.path.endswith("/post")) == ["/top/post"]
    assert server.hits("/top/post")[0].body["email"] == "ada.lovelace@example.com"
    lead.refresh_from_db()
    assert (lead.status, lead.revenue) == (Lead.Status.SOLD, Decimal("31.40"))


def test_bids_below_the_floor_never_win(server, auction, supplier):
    bidder(server, auction, "cheap", bid("9.99"))
    bidder(server, auction, "none", REJECT)
    lead = selling_lead(auction, supplier)

    result = lead_distribute(lead_id=lead.pk)

    assert result.action == "unsold"
    assert not [r for r in server.received if r.path.endswith("/post")]
    assert "cheap: bid 9.99 below floor 10.00" in result.reason


def test_timeouts_bound_the_wall_time_not_their_sum(server, auction, supplier):
    for index in range(4):
        bidder(server, auction, f"slow{index}", slow(3.0), timeout_ms=400)
    winner = bidder(server, auction, "fast", bid(20), timeout_ms=400)
    lead = selling_lead(auction, supplier)

    started = time.monotonic()
    result = lead_distribute(lead_id=lead.pk)
    elapsed = time.monotonic() - started

    assert result.buyer_id == winner.pk
    assert elapsed < 1.4, elapsed  # four 400 ms timeouts in parallel, not 1.6 s in a row (nor 12 s of sleep)
    pings = BuyerDelivery.objects.filter(lead=lead, stage="ping")
    assert sorted(pings.values_list("outcome", flat=True)) == ["bid"] + ["timeout"] * 4
    starts = [r.at for r in server.received if r.path.endswith("/ping")]
    assert max(starts) - min(starts) < 0.3  # all pinged at once


def test_a_failed_post_falls_through_to_the_next_bid(server, auction, supplier):
    bidder(server, auction, "broken", bid(50), post_reply=ERROR_500)
    bidder(server, auction, "refuses", bid(40), post_reply=Reply(body={"accepted": False}))
    second = bidder(server, auction, "second", bid(30))
    lead = selling_lead(auction, supplier)

    result = lead_distribute(lead_id=lead.pk)

    assert (result.buyer_id, result.price) == (second.pk, Decimal("30.00"))
    posted = [r.path for r in server.received if r.path.endswith("/post")]
    assert posted == ["/broken/post", "/refuses/post", "/second/post"]


def test_a_buyer_without_ping_url_bids_its_price(server, auction, supplier):
    fixed = make_buyer(auction, name="fixed", url=server.script("/fixed", ACCEPT), price="22.00")
    bidder(server, auction, "pinged", bid(21))
    lead = selling_lead(auction, supplier)

    assert lead_distribute(lead_id=lead.pk).buyer_id == fixed.pk


def test_pings_carry_no_personal_data(server, auction, supplier):
    bidder(server, auction, "a", bid(11), filters={"country": ["US"], "homeowner": True, "fields.email__exists": True})
    bidder(server, auction, "b", REJECT, filters={"fields.income__gte": 1000, "language": ["en"]})
    lead = selling_lead(auction, supplier, fields={"homeowner": True, "income": 5000, "email": "hidden@example.com",
                                                   "notes": "call Ada at home"})

    lead_distribute(lead_id=lead.pk)

    pings = [r for r in server.received if r.path.endswith("/ping")]
    assert len(pings) == 2
    for ping in pings:
        raw = ping.raw.decode()
        for personal in ("Ada", "Lovelace", "ada.lovelace", "hidden@example.com", "4155550123", "94105", "call Ada"):
            assert personal not in raw, (personal, raw)
        assert ping.body["postal_prefix"] == "941"
        assert ping.body["campaign"] == "solar-sell" and ping.body["country"] == "US"
    by_path = {p.path: p.body for p in pings}
    assert by_path["/a/ping"]["fields"] == {"homeowner": True}  # what its filters read, never an email
    assert by_path["/b/ping"]["fields"] == {"income": 5000} and by_path["/b/ping"]["language"] == "en"


def test_the_log_masks_personal_data_and_the_token(server, auction, supplier):
    bidder(server, auction, "a", bid(11), auth_token="s3cret-token", headers={"X-Key": "{{ auth_token }}"},
           request_template={"who": "{{ full_name }}", "mail": "{{ email }}", "tel": "{{ phone }}", "key":
                             "{{ auth_token }}"})
    lead = selling_lead(auction, supplier)

    lead_distribute(lead_id=lead.pk)

    post = server.hits("/a/post")[0]
    assert post.headers["X-Key"] == "s3cret-token" and "Authorization" not in post.headers
    assert post.body == {"who": "Ada Lovelace", "mail": "ada.lovelace@example.com", "tel": "+14155550123",
                         "key": "s3cret-token"}
    for row in BuyerDelivery.objects.filter(lead=lead):
        logged = str(row.request) + row.response_body
        for secret in ("Lovelace", "ada.lovelace@", "4155550123", "s3cret-token"):
            assert secret not in logged, (secret, logged)
    logged_post = BuyerDelivery.objects.get(lead=lead, stage="post").request
    assert logged_post["body"]["mail"] == "a***@example.com" and logged_post["headers"]["X-Key"] == "***"
