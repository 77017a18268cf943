"""A working floor for demos and soak tests: a supplier posting leads over HTTP and reps working their leads.

Everything goes through the public API, as real clients would: no shortcut into the database. Each simulated rep
works like a person with a queue and a call list: they see and accept (or decline, or ignore) offers, call each new
lead, note what happened, promise callbacks and make them, qualify, nurture, and close leads as won or lost with a
reason code from `GET /api/v1/reasons/`. Several leads are in hand at once, as on a real floor: only the time from
offer to first contact holds the rep's capacity, so that is what the default delays keep short.
"""

from __future__ import annotations

import datetime as dt
import functools
import heapq
import itertools
import random
import threading
import time
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import phonenumbers

FIRST_NAMES = {"en": ["Ada", "Grace", "Alan", "Linus", "Margaret", "Tim"], "es": ["Lucía", "Mateo", "Sofía", "Hugo"],
               "de": ["Jürgen", "Anna", "Lukas", "Mia"]}
LAST_NAMES = {"en": ["Lovelace", "Hopper", "Turing", "Hamilton", "Berners-Lee"], "es": ["García", "Martínez", "López"],
              "de": ["Müller", "Schmidt", "Schneider"]}
# country, language, campaign, skill, weight. The demo routes by language, skill and territory (leadcrm/demo.py), so
# each market goes to the reps who fit it; the weights follow those reps' capacity, so no rep drowns while another
# idles: US English solar -> alice, carla, erika; US Spanish solar -> carla; ES -> diego; DE -> erika, felix;
# GB -> bob; US English mortgage -> alice, bob, erika.
MARKETS = [("US", "en", "solar-us", "solar", 5), ("US", "es", "solar-us", "solar", 3),
           ("ES", "es", "mortgage-intl", "mortgage", 4), ("DE", "de", "mortgage-intl", "mortgage", 6),
           ("GB", "en", "mortgage-intl", "mortgage", 4), ("US", "en", "mortgage-intl", "mortgage", 3),
           ("US", "en", "quick-quotes", "solar", 2), ("ES", "es", "quick-quotes", "mortgage", 1)]
POLL_SECONDS = 0.5  # how often a rep looks at their queue (a browser gets offers pushed; this is close)
RETRY_STATUSES = (429, 503)  # throttled, or the database was briefly busy: the client waits and tries again
NEVER_REACHED = "never-reached"


@dataclass
class Human:
    """How long people take, in seconds (divided by `speed`), and what they decide, as shares of the cases."""

    accept_delay: tuple[float, float] = (2, 10)  # offer on screen -> accept or decline
    call_delay: tuple[float, float] = (2, 12)  # accepted -> first call (this holds a unit of capacity)
    follow_up_delay: tuple[float, float] = (30, 120)  # between later steps: callbacks, qualifying, closing
    decline_share: float = 0.04
    ignore_share: float = 0.03  # the offer expires and moves on
    pool_share: float = 0.2  # of their looks at the queue, how many also look at the open pool
    connect_share: float = 0.6  # a call reaches the lead (else no answer or voicemail, and a callback)
    max_attempts: int = 3  # calls in a row without reaching the lead before it is closed as lost
    won_share: float = 0.5  # of qualified leads, at the closing call
    speed: float = 1.0

    def seconds(self, bounds: tuple[float, float], rng: random.Random) -> float:
        """A human delay in seconds, at this speed."""
        return rng.uniform(*bounds) / self.speed


# What a rep decides after a conversation, by the lead's stage: (next stage, weight). Qualified and nurtured leads
# get another call later; the others are settled. A qualified lead is won with Human.won_share.
DECISIONS: dict[str, list[tuple[str, float]]] = {
    "contacted": [("qualified", 0.35), ("won", 0.15), ("nurture", 0.15), ("lost", 0.2), ("unqualified", 0.15)],
    "nurture": [("qualified", 0.6), ("lost", 0.3), ("unqualified", 0.1)],
}
CLOSED = {"won", "lost", "unqualified"}


@dataclass
class Tally:
    counts: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, key: str) -> None:
        with self.lock:
            self.counts[key] += 1


def _ascii(name: str) -> str:
    """The name as a lower-case ASCII mailbox part (Lucía -> lucia)."""
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower().replace(" ", "")


def realistic_lead(rng: random.Random, serial: int) -> dict:
    """A lead with a valid phone for its country, a name in its language and a campaign that fits."""
    country, language, campaign, skill, _ = rng.choices(MARKETS, weights=[m[4] for m in MARKETS])[0]
    example = phonenumbers.example_number_for_type(country, phonenumbers.PhoneNumberType.MOBILE)
    if example is None:  # never for the countries of MARKETS
        raise ValueError(f"phonenumbers has no example mobile number for {country}")
    national = str(example.national_number)
    for _ in range(20):
        candidate = national[:-4] + f"{rng.randrange(10_000):04d}"
        number = phonenumbers.parse(f"+{example.country_code}{candidate}")
        if phonenumbers.is_valid_number(number):
            break
    first, last = rng.choice(FIRST_NAMES[language]), rng.choice(LAST_NAMES[language])
    return {
        "campaign": campaign, "first_name": first, "last_name": last, "country": country, "language": language,
        "skill": skill, "email": f"{_ascii(first)}.{_ascii(last)}.{serial}@example.com",
        "phone": phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
        "external_id": f"sim-{int(time.time())}-{serial}",
        "fields": {"homeowner": rng.choice(["yes", "no"]), "contact_now": rng.choice(["yes", "no", "no"])},
    }


def _retry_after(response: httpx.Response) -> float:
    try:
        return min(5.0, max(0.2, float(response.headers.get("Retry-After", "1"))))
    except ValueError:
        return 1.0


def supplier_loop(*, base_url: str, api_key: str, rate: float, duration: float, tally: Tally,
                  stop: threading.Event, seed: int) -> None:
    """Post leads at `rate` per second for `duration` seconds; a throttled or busy answer is tried again."""
    rng = random.Random(seed)
    headers = {"Authorization": f"Api-Key {api_key}"}
    started, serial = time.monotonic(), 0
    with httpx.Client(base_url=base_url, headers=headers, timeout=10) as client:
        while not stop.is_set() and time.monotonic() - started < duration:
            serial += 1
            lead = realistic_lead(rng, serial)
            for attempt in range(3):
                try:
                    response = client.post("/api/v1/leads/", json=lead)
                except httpx.HTTPError:
                    tally.add("post error")
                    if attempt == 2 or stop.wait(1):
                        break
                    continue
                if response.status_code in RETRY_STATUSES and attempt < 2:
                    tally.add(f"post {response.status_code} (retried)")
                    if stop.wait(_retry_after(response)):
                        break
                    continue
                tally.add(f"post {response.status_code}")
                break
            stop.wait(max(0.0, started + serial / rate - time.monotonic()))


@dataclass
class Lead:
    """A lead the simulated rep owns: its accepted assignment, its stage, its calls and missed calls in a row."""

    assignment_id: int
    lead_id: int
    stage: str = "assigned"
    attempts: int = 0
    misses: int = 0
    callback_ids: list[int] = field(default_factory=list)


class SimulatedRep:
    """One rep on the floor: a queue of things to do at given times, worked one at a time, and their offers."""

    def __init__(self, *, client: httpx.Client, human: Human, tally: Tally, stop: threading.Event,
                 rng: random.Random, reasons: dict[str, list[str]]):
        self.client, self.human, self.tally, self.stop, self.rng = client, human, tally, stop, rng
        self.reasons = reasons
        self.todo: list[tuple[float, int, Callable[[], None]]] = []
        self.order = itertools.count()
        self.seen_offers: set[int] = set()

    # ---- plumbing ----------------------------------------------------------------------------------------------
    def later(self, seconds: float, step: Callable[[], None]) -> None:
        heapq.heappush(self.todo, (time.monotonic() + seconds, next(self.order), step))

    def call(self, method: str, path: str, *, json: dict | None = None, ok: tuple[int, ...] = (200, 201),
             count_failure: bool = True) -> Any:
        """One API request; the decoded answer, or None (counted as `api <status>`) when it did not succeed."""
        for attempt in range(3):
            try:
                response = self.client.request(method, path, json=json)
            except httpx.HTTPError:
                self.tally.add("api error")
                return None
            if response.status_code in RETRY_STATUSES and attempt < 2:
                if self.stop.wait(_retry_after(response)):
                    return None
                continue
            if response.status_code not in ok:
                if count_failure:
                    self.tally.add(f"api {response.status_code}")
                return None
            return response.json() if response.content else {}
        return None

    def run(self) -> None:
        """Work until asked to stop: look at the queue every POLL_SECONDS, do what is due in between."""
        self.resume()
        next_poll = 0.0
        while not self.stop.is_set():
            if time.monotonic() >= next_poll:
                self.poll()
                self.pool_look()
                next_poll = time.monotonic() + POLL_SECONDS
            while self.todo and self.todo[0][0] <= time.monotonic() and not self.stop.is_set():
                heapq.heappop(self.todo)[2]()
            wake = min(next_poll, self.todo[0][0]) if self.todo else next_poll
            self.stop.wait(max(0.0, wake - time.monotonic()))

    # ---- offers ------------------------------------------------------------------------------------------------
    def poll(self) -> None:
        page = self.call("GET", "/api/v1/assignments/?status=offered")
        for offer in (page or {}).get("results", []):
            if offer["id"] in self.seen_offers:
                continue
            self.seen_offers.add(offer["id"])
            self.call("POST", f"/api/v1/assignments/{offer['id']}/seen/")  # the offer is on the rep's screen
            roll = self.rng.random()
            if roll < self.human.ignore_share:
                self.tally.add("ignored")
                continue
            declines = roll < self.human.ignore_share + self.human.decline_share
            step = functools.partial(self.decline if declines else self.accept, offer)
            self.later(self.human.seconds(self.human.accept_delay, self.rng), step)

    def pool_look(self) -> None:
        """Look at the open pool now and then, and claim the oldest lead there (first claim wins)."""
        if self.rng.random() > self.human.pool_share:
            return
        leads = (self.call("GET", "/api/v1/pool/") or {}).get("leads", [])
        if not leads:
            return
        claimed = self.call("POST", f"/api/v1/pool/{leads[0]['id']}/claim/", ok=(200,), count_failure=False)
        if claimed is None:
            self.tally.add("claim refused")  # another rep was faster, or this rep is full
            return
        self.tally.add("claimed")
        lead = Lead(assignment_id=claimed["assignment"]["id"], lead_id=leads[0]["id"])
        self.later(self.human.seconds(self.human.call_delay, self.rng), lambda: self.phone(lead))

    def decline(self, offer: dict) -> None:
        reason = self.rng.choice(self.reasons.get("decline") or ["busy"])
        if self.call("POST", f"/api/v1/assignments/{offer['id']}/decline/", json={"reason": reason}) is not None:
            self.tally.add("declined")

    def accept(self, offer: dict) -> None:
        answer = self.call("POST", f"/api/v1/assignments/{offer['id']}/accept/", ok=(200,), count_failure=False)
        if answer is None:
            self.tally.add("accept refused")  # expired meanwhile, or another rep was faster
            return
        self.tally.add("accepted")
        lead = Lead(assignment_id=offer["id"], lead_id=offer["lead"]["id"])
        self.later(self.human.seconds(self.human.call_delay, self.rng), lambda: self.phone(lead))

    def resume(self) -> None:
        """Pick up the leads this rep already owns (a simulation that stopped midway): call or follow them up."""
        callbacks: dict[int, list[int]] = {}
        for callback in self.pages("/api/v1/callbacks/?status=due") + self.pages("/api/v1/callbacks/?status=upcoming"):
            callbacks.setdefault(callback["lead"]["id"], []).append(callback["id"])
        for assignment in self.pages("/api/v1/assignments/?status=accepted"):
            info = assignment["lead"]
            lead = Lead(assignment_id=assignment["id"], lead_id=info["id"], stage=info["status"],
                        attempts=1 if info.get("first_contact_at") else 0, callback_ids=callbacks.get(info["id"], []))
            if lead.stage in CLOSED:
                continue
            self.later(self.rng.uniform(0, 5) / self.human.speed, functools.partial(self.phone, lead))

    def pages(self, path: str) -> list[dict]:
        found: list[dict] = []
        while path and not self.stop.is_set():
            page = self.call("GET", path)
            if page is None:
                break
            found += page["results"] if isinstance(page, dict) else page
            nxt = page.get("next") if isinstance(page, dict) else None
            path = nxt[nxt.index("/api/"):] if nxt else ""
        return found

    # ---- working a lead -----------------------------------------------------------------------------------------
    def phone(self, lead: Lead) -> None:
        """Call the lead (the first call frees the capacity unit) and decide what comes next."""
        for callback_id in lead.callback_ids:
            self.call("POST", f"/api/v1/callbacks/{callback_id}/done/")
        lead.callback_ids = []
        reached = self.rng.random() < self.human.connect_share
        outcome = "connected" if reached else self.rng.choice(["no_answer", "voicemail"])
        if self.call("POST", f"/api/v1/assignments/{lead.assignment_id}/contacts/",
                     json={"channel": "call", "outcome": outcome}) is None:
            return  # the lead moved on meanwhile (a manager closed or reassigned it)
        self.tally.add("called" if lead.attempts else "first contact")
        lead.attempts += 1
        lead.misses = 0 if reached else lead.misses + 1
        if lead.stage == "assigned":
            lead.stage = "contacted"
        if reached:
            self.decide(lead)
        elif lead.misses >= self.human.max_attempts:
            self.stage(lead, "lost", reason=NEVER_REACHED)
        else:
            self.callback(lead, note=f"{outcome.replace('_', ' ').capitalize()}: try again later.")

    def decide(self, lead: Lead) -> None:
        won = self.human.won_share
        choices = [("won", won), ("lost", 1 - won)] if lead.stage == "qualified" else DECISIONS.get(
            lead.stage, DECISIONS["contacted"])
        stage = self.rng.choices([c for c, _ in choices], weights=[w for _, w in choices])[0]
        if not self.stage(lead, stage):
            return
        if stage == "qualified":
            self.note(lead, "Interested: sending a quote, call to close.")
            self.later(self.human.seconds(self.human.follow_up_delay, self.rng), lambda: self.phone(lead))
        elif stage == "nurture":
            self.callback(lead, note="Not now: call again later.")

    def stage(self, lead: Lead, stage: str, *, reason: str = "") -> bool:
        body = {"stage": stage}
        if stage in ("lost", "unqualified"):
            codes = self.reasons.get(stage, [])
            if reason not in codes:
                reason = self.rng.choice([c for c in codes if c != NEVER_REACHED] or codes or [""])
            body["reason"] = reason
        answer = self.call("POST", f"/api/v1/leads/{lead.lead_id}/stage/", json=body)
        if answer is None:
            return False
        lead.stage = answer.get("status", stage)
        self.tally.add(stage)
        return True

    def note(self, lead: Lead, text: str) -> None:
        if self.call("POST", f"/api/v1/leads/{lead.lead_id}/notes/", json={"text": text}) is not None:
            self.tally.add("note")

    def callback(self, lead: Lead, *, note: str) -> None:
        seconds = max(2.0, self.human.seconds(self.human.follow_up_delay, self.rng))
        due_at = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds)
        answer = self.call("POST", f"/api/v1/leads/{lead.lead_id}/callbacks/",
                           json={"due_at": due_at.isoformat(), "note": note})
        if answer is not None:
            lead.callback_ids.append(answer["id"])
            self.tally.add("callback")
        self.later(seconds, lambda: self.phone(lead))


def reason_codes(client: httpx.Client) -> dict[str, list[str]]:
    """The active reason codes by kind (lost, unqualified, decline)."""
    by_kind: dict[str, list[str]] = {}
    for reason in client.get("/api/v1/reasons/").raise_for_status().json():
        by_kind.setdefault(reason["kind"], []).append(reason["code"])
    return by_kind


def _sign_in(client: httpx.Client, *, username: str, password: str, stop: threading.Event) -> bool:
    while not stop.is_set():
        token = client.post("/api/v1/auth/token/", json={"username": username, "password": password})
        if token.status_code in RETRY_STATUSES:  # sign-ins are throttled per client address
            stop.wait(_retry_after(token))
            continue
        token.raise_for_status()
        client.headers["Authorization"] = f"Token {token.json()['token']}"
        return True
    return False


def rep_loop(*, base_url: str, username: str, password: str, human: Human, tally: Tally,
             stop: threading.Event, seed: int) -> None:
    """Sign in as a rep, become available and work the floor until `stop`."""
    with httpx.Client(base_url=base_url, timeout=10) as client:
        try:
            if not _sign_in(client, username=username, password=password, stop=stop):
                return
            client.patch("/api/v1/me/", json={"status": "available"}).raise_for_status()
            reasons = reason_codes(client)
        except httpx.HTTPError:
            tally.add("rep sign-in failed")
            return
        SimulatedRep(client=client, human=human, tally=tally, stop=stop, rng=random.Random(seed),
                     reasons=reasons).run()


def floor_simulate(*, base_url: str, api_key: str, reps: list[tuple[str, str]], rate: float, duration: float,
                   human: Human, seed: int = 1) -> Counter:
    """Run a supplier and every rep for `duration` seconds (reps finish their current step); returns the tally."""
    tally, stop = Tally(), threading.Event()
    workers = [threading.Thread(target=rep_loop, daemon=True, kwargs=dict(
        base_url=base_url, username=username, password=password, human=human, tally=tally, stop=stop,
        seed=seed + index)) for index, (username, password) in enumerate(reps)]
    for worker in workers:
        worker.start()
    try:
        supplier_loop(base_url=base_url, api_key=api_key, rate=rate, duration=duration, tally=tally, stop=stop,
                      seed=seed)
    finally:
        stop.set()
        for worker in workers:
            worker.join(timeout=15)
    return tally.counts
