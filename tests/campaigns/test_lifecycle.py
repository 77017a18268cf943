"""The lead lifecycle: one table of moves, one function that makes them, and nothing else writes Lead.status."""

import ast
import pathlib
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from campaigns.lifecycle import FINAL, INITIAL, TRANSITIONS, lead_transition, lifecycle_mermaid, sources_into
from campaigns.models import Lead
from tests.factories import LeadFactory

STATES = list(TRANSITIONS)
ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_the_table_covers_every_status_and_names_only_known_states():
    assert set(TRANSITIONS) == set(Lead.Status.values)
    assert all(moves <= set(Lead.Status.values) for moves in TRANSITIONS.values())
    assert {"new", "held"} == INITIAL and {"won", "sold"} == FINAL


def test_every_state_is_reachable_from_a_new_lead():
    seen, todo = set(INITIAL), list(INITIAL)
    while todo:
        for target in TRANSITIONS[todo.pop()] - seen:
            seen.add(target)
            todo.append(target)
    assert seen == set(STATES)


@pytest.mark.django_db
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(start=st.sampled_from(STATES), to=st.sampled_from(STATES),
       sources=st.none() | st.sets(st.sampled_from(STATES), min_size=1))
def test_lead_transition_moves_exactly_when_the_table_and_the_sources_allow(start, to, sources):
    lead = LeadFactory(status=start)
    allowed = sources_into(to)
    if sources is not None and not sources <= allowed:
        with pytest.raises(ValueError, match=f"may not move from .* to {to}"):
            lead_transition(lead_id=lead.pk, to=to, sources=sources)
        lead.refresh_from_db()
        assert lead.status == start
        return
    expected = start in (allowed if sources is None else sources)
    moved = lead_transition(lead_id=lead.pk, to=to, sources=sources, waiting_reason="moved")
    lead.refresh_from_db()
    assert moved is expected
    assert (lead.status, lead.waiting_reason) == ((to, "moved") if expected else (start, lead.waiting_reason))
    assert expected == (to in TRANSITIONS[start] and (sources is None or start in sources))


@pytest.mark.django_db
def test_lead_transition_refuses_unknown_states_and_a_status_in_changes():
    lead = LeadFactory(status="new")
    with pytest.raises(ValueError, match="unknown lead status 'gone'"):
        lead_transition(lead_id=lead.pk, to="gone")
    with pytest.raises(ValueError, match="pass the new status as `to`"):
        lead_transition(lead_id=lead.pk, to="offered", status="won")
    assert lead_transition(lead_id=lead.pk + 1000, to="offered") is False


def _status_writes(path: pathlib.Path, root: pathlib.Path = ROOT) -> list[str]:
    """Each `.update(... status=...)` on a Lead queryset, and each `lead.status = ...` assignment, in one file."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "update":
            receiver = ast.unparse(node.func.value)
            if "Lead.objects" in receiver and any(k.arg == "status" for k in node.keywords):
                found.append(f"{path.relative_to(root)}:{node.lineno}")
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Attribute) and target.attr == "status" and re.search(
                        r"\blead\b", ast.unparse(target.value)):
                    found.append(f"{path.relative_to(root)}:{node.lineno}")
    return found


def test_no_code_but_the_lifecycle_writes_lead_status():
    writes = [hit for package in ("campaigns", "assignments", "reporting", "leadcrm")
              for path in (ROOT / package).rglob("*.py") if "migrations" not in path.parts
              and path.name != "lifecycle.py" for hit in _status_writes(path)]
    assert writes == []


def test_the_checker_finds_a_status_write(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("Lead.objects.filter(pk=1).update(status='won')\nlead.status = 'lost'\n")
    assert len(_status_writes(bad, root=tmp_path)) == 2


def test_the_readme_shows_the_lifecycle_diagram():
    readme = (ROOT / "README.md").read_text()
    assert f"```mermaid\n{lifecycle_mermaid()}\n```" in readme
