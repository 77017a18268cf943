"""A working floor for demos and soak tests: a supplier posting leads over HTTP and reps working their offers.

Everything goes through the public API, as real clients would: no shortcut into the database.
"""

from __future__ import annotations

import random
import threading
import time
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

import httpx
import phonenumbers

FIRST_NAMES = {"en": ["Ada", "Grace", "Alan", "Linus", "Margaret", "Tim"], "es": ["Lucía", "Mateo", "Sofía", "Hugo"],
               "de": ["Jürgen", "Anna", "Lukas", "Mia"]}
LAST_NAMES = {"en": ["Lovelace", "Hopper", "Turing", "Hamilton", "Berners-Lee"], "es": ["García", "Martínez", "López"],
              "de": ["Müller", "Schmidt", "Schneider"]}
MARKETS = [("US", "en", "solar-us", "solar"), ("US", "es", "solar-us", "solar"),
           ("ES", "es", "mortgage-intl", "mortgage"), ("DE", "de", "mortgage-intl", "mortgage"),
           ("GB", "en", "mortgage-intl", "mortgage")]


@dataclass
class Human:
    """How long people take, in seconds (scaled by `speed`), and how often they decline or ignore offers."""

    accept_delay: tuple[float, float] = (2, 25)
    call_delay: tuple[float, float] = (5, 90)
    decline_share: float = 0.1
    ignore_share: float = 0.1
    won_share: float = 0.35  # of connected calls
    speed: float = 1.0

    def wait(self, bounds: tuple[float, float], rng: random.Random, stop: threading.Event) -> bool:
        """Sleep a human delay; False when asked to stop meanwhile."""
        return not stop.wait(rng.uniform(*bounds) / self.speed)


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
    country, language, campaign, skill = rng.choice(MARKETS)
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


def supplier_loop(*, base_url: str, api_key: str, rate: float, duration: float, tally: Tally,
                  stop: threading.Event, seed: int) -> None:
    """Post leads at `rate` per second for `duration` seconds."""
    rng = random.Random(seed)
    headers = {"Authorization": f"Api-Key {api_key}"}
    started, serial = time.monotonic(), 0
    with httpx.Client(base_url=base_url, headers=headers, timeout=10) as client:
        while not stop.is_set() and time.monotonic() - started < duration:
            serial += 1
            try:
                response = client.post("/api/v1/leads/", json=realistic_lead(rng, serial))
                tally.add(f"post {response.status_code}")
            except httpx.HTTPError:
                tally.add("post error")
            stop.wait(max(0.0, started + serial / rate - time.monotonic()))


def rep_loop(*, base_url: str, username: str, password: str, human: Human, tally: Tally,
             stop: threading.Event, seed: int) -> None:
    """Sign in as a rep and work offers: accept (or decline, or ignore), call, sometimes close the lead."""
    rng = random.Random(seed)
    with httpx.Client(base_url=base_url, timeout=10) as client:
        token = client.post("/api/v1/auth/token/", json={"username": username, "password": password})
        token.raise_for_status()
        client.headers["Authorization"] = f"Token {token.json()['token']}"
        client.patch("/api/v1/me/", json={"status": "available"})
        handled: set[int] = set()
        while not stop.is_set():
            try:
                offers = client.get("/api/v1/assignments/", params={"status": "offered"}).json()["results"]
            except (httpx.HTTPError, KeyError, ValueError):
                stop.wait(1)
                continue
            fresh = [offer for offer in offers if offer["id"] not in handled]
            if not fresh:
                stop.wait(1)
                continue
            offer = fresh[0]
            handled.add(offer["id"])
            _work_offer(client=client, offer_id=offer["id"], human=human, tally=tally, rng=rng, stop=stop)


def _work_offer(*, client: httpx.Client, offer_id: int, human: Human, tally: Tally, rng: random.Random,
                stop: threading.Event) -> None:
    roll = rng.random()
    if roll < human.ignore_share:
        tally.add("ignored")
        return
    if not human.wait(human.accept_delay, rng, stop):
        return
    if roll < human.ignore_share + human.decline_share:
        client.post(f"/api/v1/assignments/{offer_id}/decline/", json={"reason": "simulated decline"})
        tally.add("declined")
        return
    if client.post(f"/api/v1/assignments/{offer_id}/accept/").status_code != 200:
        tally.add("accept refused")
        return
    tally.add("accepted")
    if not human.wait(human.call_delay, rng, stop):
        return
    outcome = rng.choice(["connected", "no_answer", "voicemail"])
    client.post(f"/api/v1/assignments/{offer_id}/contacts/", json={"channel": "call", "outcome": outcome})
    tally.add("called")
    if outcome == "connected":
        final = "won" if rng.random() < human.won_share else "lost"
        client.post(f"/api/v1/assignments/{offer_id}/outcome/", json={"outcome": final})
        tally.add(final)


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
