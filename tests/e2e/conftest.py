"""Real-browser tests: the whole product (`manage.py run`: uvicorn + task cluster + floor clock) on a free port
with its own SQLite file and demo data, driven by the system Chromium through Playwright.

The demo floor is adjusted so each flow knows its rep: Spanish leads go to carla (diego is away), German leads to
erika (felix is away) with 5-second offers, Italian leads to a rep made here (giulia), French leads wait.
"""

from __future__ import annotations

import itertools
import json
import random
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.liveserver import ROOT, running_leadcrm

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]

FLOOR_SETUP = """
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from assignments import services
from assignments.models import Rep, RepLanguage, RoutingRule, WorkingHours
import datetime as dt, json
RoutingRule.objects.filter(name__startswith="German desk").update(offer_timeout_seconds=5)
Rep.objects.filter(user__username="carla").update(capacity=50)  # several tests leave her offers open
for name in ("diego", "felix"):
    services.rep_status_set(rep=Rep.objects.get(user__username=name), status="away")
user = get_user_model().objects.create_user("giulia", password="leadcrm-demo", first_name="Giulia")
rep = Rep.objects.create(user=user, status="available", capacity=100)
RepLanguage.objects.create(rep=rep, code="it")
for day in range(7):
    WorkingHours.objects.create(rep=rep, weekday=day, starts=dt.time(0), ends=dt.time(0))
print(json.dumps({"giulia_token": Token.objects.create(user=user).key,
                  "manager_token": Token.objects.create(user=get_user_model().objects.get(username="manager")).key}))
"""


@dataclass
class Floor:
    url: str
    env: dict
    demo: dict
    tokens: dict
    log: Path
    pid: int = 0  # of `manage.py run`
    phones: itertools.count = field(default_factory=lambda: itertools.count(random.randint(1000, 5000)))

    @property
    def supplier_key(self) -> str:
        return self.demo["suppliers"][0]["api_key"]

    def password(self, username: str) -> str:
        return next(rep["password"] for rep in self.demo["reps"] if rep["username"] == username) \
            if username != "manager" else self.demo["manager"]["password"]

    def post_lead(self, *, language: str, first_name: str = "Ada", last_name: str = "Lovelace") -> int:
        """Post a lead as the demo supplier (US, solar) and return its id."""
        n = next(self.phones)
        body = {"campaign": "solar-us", "first_name": first_name, "last_name": last_name, "country": "US",
                "email": f"lead{n}@example.com", "phone": f"+1415555{n:04d}", "language": language}
        response = httpx.post(f"{self.url}/api/v1/leads/", json=body, timeout=10,
                              headers={"Authorization": f"Api-Key {self.supplier_key}"})
        assert response.status_code == 201, response.text
        return response.json()["id"]

    def api(self, path: str, *, token: str | None = None) -> dict:
        headers = ({"Authorization": f"Token {token}"} if token
                   else {"Authorization": f"Api-Key {self.supplier_key}"})
        response = httpx.get(f"{self.url}/api/v1/{path}", headers=headers, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()

    def manage(self, *args: str) -> str:
        out = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True,
                             text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        return out.stdout


@pytest.fixture(scope="session")
def floor(tmp_path_factory) -> Iterator[Floor]:
    var_dir = tmp_path_factory.mktemp("e2e-var")
    with running_leadcrm(var_dir, "--no-seed") as server:
        floor = Floor(url=server.url, env=server.env, demo={}, tokens={}, log=server.log, pid=server.process.pid)
        floor.manage("seed_demo", "--json", str(var_dir / "demo.json"))
        floor.demo = json.loads((var_dir / "demo.json").read_text())
        floor.tokens = json.loads(floor.manage("shell", "-c", FLOOR_SETUP).strip().splitlines()[-1])
        yield floor


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        print(f"SKIPPED browser tests: {CHROMIUM} is not installed (apt-get install chromium)")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium); .ci/run installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def plain_page(browser, floor):
    """plain_page(username, path, **context options) -> a page signed in through the login form, at path (no
    websocket expected)."""
    contexts = []

    def open_page(username: str, path: str, **options):
        context = browser.new_context(**options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{floor.url}/accounts/login/?next={path}")
        page.fill("#id_username", username)
        page.fill("#id_password", floor.password(username))
        page.click("button[type=submit]")
        page.wait_for_url(f"{floor.url}{path}")
        return page

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def signed_in(plain_page):
    """signed_in(username, path, **context options) -> a page signed in through the login form, at path, once its
    websocket is live."""

    def open_live_page(username: str, path: str, **options):
        page = plain_page(username, path, **options)
        page.wait_for_selector("#conn.conn-live")
        return page

    return open_live_page
