"""The lab's pages for managers: a replay's draft-vs-actual comparison and an experiment's variant comparison."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render

from assignments.lab.selectors import experiment_variant_data, rep_names
from assignments.lab.stats import experiment_report
from assignments.models import Experiment, ReplayRun
from leadcrm.roles import manager_required

EMPTY = "—"


# Anonymous: to the sign-in page; signed in but not a sales manager: the 403 page saying so.
manager_only = manager_required(message="The routing lab is for sales managers.")


def _pct(value: float | None) -> str:
    return EMPTY if value is None else f"{value * 100:.1f}%"


def _num(value: float | None, digits: int = 2) -> str:
    return EMPTY if value is None else f"{value:.{digits}f}"


METRICS = (
    ("Leads offered", "offered", str),
    ("Share with no eligible rep", "no_rep_share", _pct),
    ("Share with no matching rule", "no_rule_share", _pct),
    ("Offers per lead", "offers_per_lead", _num),
    ("Fairness: Gini of leads per rep (0 = even)", "gini", _num),
    ("Busiest rep's share of offers", "top_rep_share", _pct),
    ("Language match rate", "language_match_rate", _pct),
    ("Territory match rate", "territory_match_rate", _pct),
)


@manager_only
def replay_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Progress while the replay runs; then draft and actual side by side."""
    run = get_object_or_404(ReplayRun.objects.select_related("ruleset", "created_by"), pk=pk)
    result = (run.state or {}).get("result") if run.status == ReplayRun.Status.DONE else None
    context = {**admin.site.each_context(request), "title": f"Replay #{run.pk}: {run.ruleset_name}", "run": run,
               "result": result}
    if result:
        ids = [row["rep_id"] for row in result["per_rep"]]
        ids += [r for d in result["diffs"] for r in d["actual"]["rep_ids"] + d["draft"]["rep_ids"]]
        names = rep_names(rep_ids=ids)

        def who(rep_ids: list[int]) -> str:
            return ", ".join(names.get(r, f"rep {r}") for r in rep_ids) or "nobody (waits)"

        context["metrics"] = [(label, fmt(result["actual"][key]), fmt(result["draft"][key]))
                              for label, key, fmt in METRICS]
        context["per_rep"] = [{**row, "name": names.get(row["rep_id"], f"rep {row['rep_id']}"),
                               "delta": row["draft"] - row["actual"]} for row in result["per_rep"]]
        context["diffs"] = [{**d, "actual_who": who(d["actual"]["rep_ids"]), "draft_who": who(d["draft"]["rep_ids"])}
                            for d in result["diffs"]]
        context["changed_pct"] = _pct(result["changed_share"])
    return render(request, "assignments/lab/replay.html", context)


@manager_only
def replay_status(request: HttpRequest, pk: int) -> JsonResponse:
    """A replay's progress as JSON, polled by its page while it runs (lab_replay.js)."""
    run = get_object_or_404(ReplayRun, pk=pk)
    finished = run.status in (ReplayRun.Status.DONE, ReplayRun.Status.FAILED)
    return JsonResponse({"id": run.pk, "status": run.status, "status_display": run.get_status_display(),
                         "done": run.done, "total": run.total, "percent": run.percent, "finished": finished,
                         "error": run.error if run.status == ReplayRun.Status.FAILED else ""},
                        headers={"Cache-Control": "no-store"})


@manager_only
def experiment_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Each variant's speed to lead, contact and conversion with 95 % intervals, and the verdict in words."""
    experiment = get_object_or_404(Experiment.objects.select_related("rule", "winner"), pk=pk)
    report = experiment_report(experiment_variant_data(experiment=experiment))
    rows = [{
        "name": v["name"], "leads": v["leads"],
        "median": EMPTY if v["median_speed"] is None else f"{v['median_speed']:.0f} s",
        **{key: {"rate": _pct(v[key]["rate"]), "ci": f"{_pct(v[key]['low'])} – {_pct(v[key]['high'])}"}
           for key in ("fast", "contacted", "converted")},
    } for v in report["variants"]]
    context = {**admin.site.each_context(request), "title": f"Experiment: {experiment.name}",
               "experiment": experiment, "report": report, "rows": rows}
    return render(request, "assignments/lab/experiment.html", context)
