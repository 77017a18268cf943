"""`manage.py simulate` drives a real running LeadCRM through its API: leads posted, offers worked."""

import sqlite3

from tests.liveserver import running_leadcrm


def test_simulate_posts_leads_and_reps_work_them(tmp_path):
    with running_leadcrm(tmp_path) as server:
        # 10 s: on a loaded CI machine routing and the reps' 1 s polling need a few seconds to get going.
        done = server.manage("simulate", "--rate", "2", "--duration", "10", "--speed", "50", "--url", server.url)
    assert done.returncode == 0, done.stderr
    counts = dict(line.strip().rsplit(None, 1) for line in done.stdout.splitlines()[1:])
    assert int(counts["post 201"]) >= 10
    assert int(counts.get("accepted", 0)) >= 1
    db = sqlite3.connect(tmp_path / "leadcrm.sqlite3")
    contacted = db.execute("select count(*) from campaigns_lead where first_contact_at is not null").fetchone()[0]
    owned = db.execute("select count(*) from campaigns_lead where accepted_at is not null").fetchone()[0]
    assert owned >= 1 and contacted >= 1
