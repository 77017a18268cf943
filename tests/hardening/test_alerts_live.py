"""Alert email on the real floor: `manage.py run` (web + task cluster + floor clock) with EMAIL_URL pointing at a
real SMTP server; a lead posted for a rep with no tab open is in their inbox within 10 s, linking to /rep/."""

from __future__ import annotations

import time

import httpx

from tests.assignments.alerts_kit import SmtpServer, parts
from tests.hardening.test_faults import FAST_CLOCK
from tests.liveserver import running_leadcrm
from tests.wsfloor import floor_prepare, lead_body


def test_an_offer_to_a_rep_away_from_the_page_is_emailed_within_10_seconds(tmp_path):
    smtp = SmtpServer()
    smtp.start()
    try:
        with running_leadcrm(tmp_path, "--no-seed", EMAIL_URL=f"smtp://127.0.0.1:{smtp.port}",
                             DEFAULT_FROM_EMAIL="alerts@floor.test", **FAST_CLOCK) as server:
            floor = floor_prepare(server.env, reps=1, capacity=5)
            server.manage("shell", "-c", "from django.contrib.auth import get_user_model; "
                                         "get_user_model().objects.filter(username='rep000')"
                                         ".update(email='rep000@floor.test')")
            posted_at = time.time()
            response = httpx.post(f"{server.url}/api/v1/leads/", json=lead_body(1), timeout=10,
                                  headers={"Authorization": f"Api-Key {floor.key}"})
            assert response.status_code == 201, response.text
            messages = smtp.wait_for(1, within=10)
            assert messages, f"no email within 10 s:\n{server.log.read_text()[-3000:]}"
            (arrived, recipients, message), = messages
            assert arrived - posted_at < 10
            assert recipients == ["rep000@floor.test"] and message["Subject"] == "New lead offer: Floor (US)"
            text = parts(message)["text/plain"]
            assert f"{server.url}/rep/?offer=" in text
            body = lead_body(1)
            assert body["email"] not in text and body["phone"] not in text and body["last_name"] not in text
    finally:
        smtp.stop()

