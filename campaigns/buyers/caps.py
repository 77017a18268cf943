"""Buyer caps per hour, day and month: CapCounter rows with scope "buyer:<id>", claimed by conditional UPDATE."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.conf import settings
from django.db.models import F

from campaigns.buyers.filters import schedule_timezone
from campaigns.models import Buyer, CapCounter
from campaigns.services.caps import CapWindow, cap_window_claim


def buyer_scope(buyer_id: int) -> str:
    return f"buyer:{buyer_id}"


def buyer_cap_windows(*, buyer: Buyer, at: dt.datetime) -> list[CapWindow]:
    """The windows a lead sold at `at` counts in, for each cap the buyer sets (in its schedule's time zone)."""
    local = at.astimezone(zoneinfo.ZoneInfo(schedule_timezone(buyer.schedule, settings.TIME_ZONE)))
    hour = local.replace(minute=0, second=0, microsecond=0, fold=0)
    day = hour.replace(hour=0)
    month = day.replace(day=1)
    windows = []
    for window, start, cap in (("hour", hour, buyer.cap_per_hour), ("day", day, buyer.cap_per_day),
                               ("month", month, buyer.cap_per_month)):
        if cap is not None:
            windows.append(CapWindow(scope=buyer_scope(buyer.pk), window=window, start=start.astimezone(dt.UTC),
                                     cap=cap))
    return windows


def buyer_caps_claim(*, buyer: Buyer, at: dt.datetime) -> list[CapWindow] | None:
    """Count one lead in every capped window; None when a cap is reached. Call inside the caller's transaction,
    which must roll back on None (earlier windows were counted)."""
    windows = buyer_cap_windows(buyer=buyer, at=at)
    for window in windows:
        if not cap_window_claim(window):
            return None
    return windows


def buyer_caps_release(*, windows: list[CapWindow]) -> None:
    """Give back one lead in each claimed window (the post did not sell)."""
    for window in windows:
        CapCounter.objects.filter(scope=window.scope, window=window.window, window_start=window.start,
                                  count__gt=0).update(count=F("count") - 1)


def buyers_at_cap(*, buyers: list[Buyer], at: dt.datetime) -> set[int]:
    """Ids of the buyers with a reached cap now (a read: a claim may still lose a race)."""
    windows = {(w.scope, w.window, w.start): (buyer.pk, w.cap)
               for buyer in buyers for w in buyer_cap_windows(buyer=buyer, at=at)}
    if not windows:
        return set()
    rows = CapCounter.objects.filter(scope__in={key[0] for key in windows},
                                     window_start__in={key[2] for key in windows})
    full = set()
    for scope, window, start, count in rows.values_list("scope", "window", "window_start", "count"):
        owner = windows.get((scope, window, start))
        if owner and count >= owner[1]:
            full.add(owner[0])
    return full
