"""Calling hours: a campaign's daily calling window in the lead's local time, and whether a lead may be called now.

The window is judged on the lead's wall clock (`starts <= local time < ends`, every day), so it moves with the
lead's daylight-saving changes. The zone is the lead's (`Lead.timezone`, derived at intake), or the campaign's
when the lead's is unknown. Outside the window a campaign either holds the lead (status held, released to
routing when the window opens) or offers it with calling disabled on the rep's pages until then.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from campaigns.models import Campaign, Lead


@dataclass(frozen=True)
class CallingWindow:
    """A daily window of local wall-clock time; starts < ends (no window runs past midnight)."""

    starts: dt.time
    ends: dt.time


@dataclass(frozen=True)
class CallingState:
    """Where a lead's calling stands at one instant."""

    zone: str  # the IANA zone the window is judged in
    zone_known: bool  # False: the lead's zone is unknown, the campaign's is used
    local: dt.datetime  # the instant on the lead's clock
    window: CallingWindow | None  # None: no calling window, calling always allowed
    is_open: bool
    opens_at: dt.datetime | None  # when closed: the next opening (UTC); else None
    closes_at: dt.datetime | None  # when open inside a window: the next closing (UTC); else None


def campaign_calling_window(*, campaign: Campaign) -> CallingWindow | None:
    """The campaign's window, or None when it sets none."""
    if campaign.calling_starts is None or campaign.calling_ends is None:
        return None
    return CallingWindow(starts=campaign.calling_starts, ends=campaign.calling_ends)


def calling_state(*, zone: str, window: CallingWindow | None, at: dt.datetime, zone_known: bool = True) -> CallingState:
    """Whether the window holds `at` (aware) on the zone's wall clock, and when it next opens or closes."""
    tz = ZoneInfo(zone)
    local = at.astimezone(tz)
    if window is None:
        return CallingState(zone=zone, zone_known=zone_known, local=local, window=None, is_open=True,
                            opens_at=None, closes_at=None)
    clock = local.time().replace(tzinfo=None)
    if window.starts <= clock < window.ends:
        return CallingState(zone=zone, zone_known=zone_known, local=local, window=window, is_open=True,
                            opens_at=None, closes_at=_first_instant_at(local.date(), window.ends, tz))
    day = local.date() if clock < window.starts else local.date() + dt.timedelta(days=1)
    return CallingState(zone=zone, zone_known=zone_known, local=local, window=window, is_open=False,
                        opens_at=_first_instant_at(day, window.starts, tz), closes_at=None)


def _first_instant_at(day: dt.date, clock: dt.time, tz: ZoneInfo) -> dt.datetime:
    """The first instant (UTC) whose wall clock in tz reads `clock` or later on `day`.

    A time repeated when clocks go back counts at its first pass; a time skipped when they go forward opens at
    the jump itself (02:30 on the spring-forward night opens at 03:00)."""
    naive = dt.datetime.combine(day, clock)
    first = naive.replace(tzinfo=tz, fold=0).astimezone(dt.UTC)
    if first.astimezone(tz).replace(tzinfo=None) == naive:
        return first
    # Before the jump, fold=1 reads the clock with the later offset; the first second at or past `clock` is sought.
    low, high = int(naive.replace(tzinfo=tz, fold=1).timestamp()), int(first.timestamp())
    while high - low > 1:
        middle = (low + high) // 2
        if dt.datetime.fromtimestamp(middle, tz).replace(tzinfo=None) >= naive:
            high = middle
        else:
            low = middle
    return dt.datetime.fromtimestamp(high, dt.UTC)


def lead_calling_state(*, lead: Lead, at: dt.datetime) -> CallingState:
    """The lead's calling state under its campaign's window (`lead.campaign` is read)."""
    campaign = lead.campaign
    return calling_state(zone=lead.timezone or campaign.timezone, zone_known=bool(lead.timezone),
                         window=campaign_calling_window(campaign=campaign), at=at)


def calling_hold_reason(*, campaign: Campaign, lead_timezone: str, at: dt.datetime) -> str:
    """Why a lead of this campaign in this zone ("" = unknown) must be held now, or "" when it may go to reps.

    Only a campaign set to hold holds, and only leads meant for reps: buyers-first leads are not called by reps.
    """
    window = campaign_calling_window(campaign=campaign)
    if window is None or campaign.outside_calling_hours != Campaign.OutsideCallingHours.HOLD \
            or campaign.distribution_mode in Campaign.BUYERS_FIRST:
        return ""
    state = calling_state(zone=lead_timezone or campaign.timezone, zone_known=bool(lead_timezone), window=window,
                          at=at)
    return "" if state.is_open else f"Outside calling hours in the lead's time (opens {calling_opens_text(state)})"


def calling_opens_text(state: CallingState) -> str:
    """ "08:00 America/Chicago", or "08:00 Europe/Madrid, the campaign's zone" when the lead's zone is unknown."""
    if state.window is None:
        return ""
    text = f"{state.window.starts:%H:%M} {state.zone}"
    return text if state.zone_known else f"{text}, the campaign's zone"


def lead_intake_hold_reason(*, campaign: Campaign, campaign_open: bool, lead_timezone: str,
                            at: dt.datetime) -> str:
    """The waiting reason a new lead is held with ("" = not held: route or sell it now): office hours first,
    then calling hours."""
    if not campaign_open:
        return "Campaign outside office hours: held until it opens."
    return calling_hold_reason(campaign=campaign, lead_timezone=lead_timezone, at=at)
