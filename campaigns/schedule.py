"""Campaign office hours: is a campaign open at a given instant (in its own time zone)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from campaigns.models import Campaign

WHOLE_DAY = dt.time(0)


def window_contains(*, weekday: int, opens: dt.time, closes: dt.time, local: dt.datetime) -> bool:
    """Whether a weekly window (closes <= opens runs past midnight; 00:00-00:00 is all day) holds local time."""
    day, clock = local.weekday(), local.time().replace(tzinfo=None)
    if opens == closes == WHOLE_DAY:
        return day == weekday
    if opens < closes:
        return day == weekday and opens <= clock < closes
    return (day == weekday and clock >= opens) or (day == (weekday + 1) % 7 and clock < closes)


def campaign_is_open(*, campaign: Campaign, at: dt.datetime) -> bool:
    """Active and inside one of its office-hours windows; a campaign with no windows is always open."""
    if not campaign.active:
        return False
    windows = list(campaign.office_hours.all())
    if not windows:
        return True
    local = at.astimezone(ZoneInfo(campaign.timezone))
    return any(window_contains(weekday=w.weekday, opens=w.opens, closes=w.closes, local=local) for w in windows)
