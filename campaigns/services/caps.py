"""Lead caps per campaign and per supplier, claimed race-free with a conditional UPDATE on a window counter."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q

from campaigns.models import Campaign, CapCounter, Caps, Supplier
from leadcrm.errors import ServiceError

TOTAL_WINDOW_START = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class CapWindow:
    scope: str
    window: str  # hour, day or total
    start: dt.datetime
    cap: int


class CapReached(ServiceError):
    """A cap window is full; `code` names which cap (campaign_cap_reached, supplier_cap_reached, cap_reached)."""

    def __init__(self, code: str = "cap_reached"):
        super().__init__(code, "The lead cap is reached.")


def cap_windows(*, owner: Caps, scope: str, tz_name: str, at: dt.datetime) -> list[CapWindow]:
    """The windows a lead accepted at `at` counts in, for each cap the owner sets (hour and day in tz_name)."""
    local = at.astimezone(zoneinfo.ZoneInfo(tz_name))
    hour = local.replace(minute=0, second=0, microsecond=0, fold=0).astimezone(dt.UTC)
    day = local.replace(hour=0, minute=0, second=0, microsecond=0, fold=0).astimezone(dt.UTC)
    windows = []
    for window, start, cap in (("hour", hour, owner.cap_per_hour), ("day", day, owner.cap_per_day),
                               ("total", TOTAL_WINDOW_START, owner.cap_total)):
        if cap is not None:
            windows.append(CapWindow(scope=scope, window=window, start=start, cap=cap))
    return windows


def cap_window_claim(window: CapWindow) -> bool:
    """Count one lead in the window if it is under its cap (the UPDATE's row lock serialises claimers)."""
    CapCounter.objects.bulk_create(
        [CapCounter(scope=window.scope, window=window.window, window_start=window.start, count=0)],
        ignore_conflicts=True,
    )
    # The row lock of the UPDATE serialises concurrent claims; each re-reads count before adding one.
    claimed = (CapCounter.objects
               .filter(scope=window.scope, window=window.window, window_start=window.start, count__lt=window.cap)
               .update(count=F("count") + 1))
    return claimed == 1


def caps_claim(*, campaign: Campaign, supplier: Supplier, at: dt.datetime) -> str | None:
    """Count one lead in every capped window of the campaign and supplier, all or none.

    Returns None when claimed, else the reason code of the first cap reached (nothing is counted then).
    Campaign windows follow the campaign's time zone, supplier windows settings.TIME_ZONE.
    """
    plan = _windows_plan(campaign=campaign, supplier=supplier, at=at)
    if not any(windows for _, windows in plan):
        return None
    try:
        with transaction.atomic():
            for reason, windows in plan:
                for window in windows:
                    if not cap_window_claim(window):
                        raise CapReached(reason)
    except CapReached as reached:
        return reached.code
    return None



def _windows_plan(*, campaign: Campaign, supplier: Supplier, at: dt.datetime) -> list[tuple[str, list[CapWindow]]]:
    return [
        ("campaign_cap_reached", cap_windows(owner=campaign, scope=f"campaign:{campaign.pk}",
                                             tz_name=campaign.timezone, at=at)),
        ("supplier_cap_reached", cap_windows(owner=supplier, scope=f"supplier:{supplier.pk}",
                                             tz_name=settings.TIME_ZONE, at=at)),
    ]


class CapLedger:
    """The cap counters of one batch of leads received at `at`, row-locked once and claimed in memory.

    claim() decides lead by lead exactly as caps_claim would; save() writes what was claimed. Use inside the
    batch's transaction: the counters stay locked until it commits, so concurrent claims wait and re-read.
    """

    def __init__(self, *, supplier: Supplier, at: dt.datetime):
        self.supplier, self.at = supplier, at
        self.plans: dict[int, list[tuple[str, list[CapWindow]]]] = {}
        self.counts: dict[tuple[str, str, dt.datetime], list[int]] = {}  # window -> [pk, count, claimed]

    def _plan(self, campaign: Campaign) -> list[tuple[str, list[CapWindow]]]:
        plan = self.plans.get(campaign.pk)
        if plan is None:
            plan = self.plans[campaign.pk] = _windows_plan(campaign=campaign, supplier=self.supplier, at=self.at)
            self._lock([window for _, windows in plan for window in windows])
        return plan

    def _lock(self, windows: list[CapWindow]) -> None:
        keys = {(w.scope, w.window, w.start) for w in windows} - set(self.counts)
        if not keys:
            return
        CapCounter.objects.bulk_create(
            [CapCounter(scope=scope, window=window, window_start=start, count=0) for scope, window, start in keys],
            ignore_conflicts=True,
        )
        which = Q()
        for scope, window, start in keys:
            which |= Q(scope=scope, window=window, window_start=start)
        for counter in CapCounter.objects.select_for_update().filter(which).order_by("pk"):
            self.counts[(counter.scope, counter.window, counter.window_start)] = [counter.pk, counter.count, 0]

    def claim(self, *, campaign: Campaign) -> str | None:
        """Count one lead of the campaign in every capped window, all or none; None, or the first cap reached."""
        plan = self._plan(campaign)
        counters = []
        for reason, windows in plan:
            for window in windows:
                counter = self.counts[(window.scope, window.window, window.start)]
                if counter[1] >= window.cap:
                    return reason
                counters.append(counter)
        for counter in counters:
            counter[1] += 1
            counter[2] += 1
        return None

    def save(self) -> None:
        """Write the claimed counts (one UPDATE per counter that changed)."""
        for pk, _, claimed in self.counts.values():
            if claimed:
                CapCounter.objects.filter(pk=pk).update(count=F("count") + claimed)
