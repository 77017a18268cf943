"""`manage.py simulate` drives a real running LeadCRM through its API: leads posted, offers worked to a close."""

import sqlite3

from tests.liveserver import running_leadcrm

WORKED = ("contacted", "qualified", "nurture", "unqualified", "won", "lost")
STAGE_MOVES = ("qualified", "nurture", "unqualified", "won", "lost")


def tally(stdout: str) -> dict[str, int]:
    """The counts the command prints, one `  <what> <count>` line each (anything else is ignored)."""
    counts = {}
    for line in stdout.splitlines():
        what, _, count = line.strip().rpartition(" ")
        if line.startswith("  ") and count.isdigit():
            counts[what.strip()] = int(count)
    return counts


def test_simulate_posts_leads_and_reps_work_them(tmp_path):
    with running_leadcrm(tmp_path) as server:
        # 10 s: on a loaded CI machine routing and the reps' sign-in and polling need a few seconds to get going.
        done = server.manage("simulate", "--rate", "2", "--duration", "10", "--speed", "50", "--url", server.url)
        log = server.log.read_text()
    explain = f"stdout:\n{done.stdout}\nstderr:\n{done.stderr[-3000:]}\nserver log:\n{log[-3000:]}"
    assert done.returncode == 0, explain
    counts = tally(done.stdout)
    assert counts.get("post 201", 0) >= 10, explain
    assert counts.get("accepted", 0) >= 1 and counts.get("first contact", 0) >= 1, explain
    assert sum(counts.get(stage, 0) for stage in STAGE_MOVES) >= 1, explain
    db = sqlite3.connect(tmp_path / "leadcrm.sqlite3")
    try:
        contacted = db.execute("select count(*) from campaigns_lead where first_contact_at is not null").fetchone()[0]
        owned = db.execute("select count(*) from campaigns_lead where accepted_at is not null").fetchone()[0]
        worked = db.execute(f"select count(*) from campaigns_lead where status in ({','.join('?' * len(WORKED))})",
                            WORKED).fetchone()[0]
        moves = db.execute("select count(*) from assignments_leadstagechange").fetchone()[0]
    finally:
        db.close()
    assert owned >= 1 and contacted >= 1 and worked >= 1, explain
    assert moves >= 1, explain  # qualified, nurtured or closed through the stage API (the lead's timeline)


def test_tally_reads_the_summary_lines_only():
    out = "Simulating 2 leads/s for 10s against http://x with 6 reps…\n  post 201         19\n  first contact    3\n"
    assert tally(out) == {"post 201": 19, "first contact": 3}
