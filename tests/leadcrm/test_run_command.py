"""`manage.py run` (what `make run` calls): serves the demo, runs the task cluster, stops both on Ctrl-C."""

import contextlib
import os
import signal
import subprocess
import sys

import httpx
import pytest
from django.conf import settings

from tests.liveserver import children_of, embedded_env, free_port, wait_for


def test_run_serves_demo_with_task_cluster_and_stops_on_ctrl_c(tmp_path):
    port = free_port()
    env = embedded_env(tmp_path)
    proc = subprocess.Popen([sys.executable, "manage.py", "run", "--port", str(port)], cwd=settings.BASE_DIR,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        login = wait_for(f"http://127.0.0.1:{port}/accounts/login/", 120)  # migrate + seed on a loaded CI machine
        assert login.status_code == 200
        assert wait_for(f"http://127.0.0.1:{port}/admin/login/", 10).status_code == 200
        assert len(children_of(proc.pid)) == 3  # the web server, the task cluster and the floor clock
        static = httpx.get(f"http://127.0.0.1:{port}/static/leadcrm/base.css", timeout=5)
        assert static.status_code == 200 and "topbar" in static.text
    finally:
        kids = children_of(proc.pid)
        proc.send_signal(signal.SIGINT)
        for kid in kids:  # a terminal's Ctrl-C reaches the whole process group
            with contextlib.suppress(ProcessLookupError):
                os.kill(kid, signal.SIGINT)
        try:
            output, _ = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise AssertionError(f"`run` did not stop within 60 s of Ctrl-C:\n{proc.communicate()[0]}") from None
    assert "Demo logins" in output and "Supplier API key" in output and "lcrm_demo_" in output
    assert "LeadCRM stopped." in output
    assert " INFO " not in output and "INFO:" not in output  # quiet by default: no line per task or request
    for kid in kids:
        with pytest.raises(ProcessLookupError):
            os.kill(kid, 0)


def test_run_tells_each_child_its_process_role(monkeypatch):
    """The settings of a child read LEADCRM_PROCESS_ROLE; `run` sets it: web, tasks per cluster, clock; and again
    when it restarts a child."""
    import io

    from leadcrm.management.commands import run

    started = []

    class Process:
        returncode = 0

        def __init__(self, argv, **kwargs):
            started.append((argv, kwargs))

        def poll(self):
            return None

        def send_signal(self, signum):
            pass

        def wait(self, timeout=None):
            return 0

    monkeypatch.setattr(run.subprocess, "Popen", Process)
    monkeypatch.setattr(run, "call_command", lambda *args, **kwargs: None)
    monkeypatch.setattr(run.signal, "signal", lambda *args: None)
    monkeypatch.setattr(run.Command, "_supervise", lambda self, children: 0)
    monkeypatch.setenv("LEADCRM_PROCESS_ROLE", "web")
    with pytest.raises(SystemExit) as stopped:
        run.Command(stdout=io.StringIO()).handle(host="127.0.0.1", port=8000, no_seed=True, web_only=False,
                                                 web_workers=1, clusters=2)
    assert stopped.value.code == 0
    assert [(argv[-1] if "manage.py" in argv else "uvicorn", kwargs["env"]["LEADCRM_PROCESS_ROLE"])
            for argv, kwargs in started] == [("uvicorn", "web"), ("qcluster", "tasks"), ("qcluster", "tasks"),
                                             ("floor_clock", "clock")]
    assert all(kwargs["env"]["PATH"] == os.environ["PATH"] for _, kwargs in started)  # the rest is inherited

    class Stopped(Process):
        returncode = 1

        def __init__(self):
            pass

        def poll(self):
            return 1

    def interrupt(seconds):
        raise KeyboardInterrupt

    monkeypatch.undo()
    monkeypatch.setattr(run.subprocess, "Popen", Process)
    monkeypatch.setattr(run.time, "sleep", interrupt)
    started.clear()
    clock = run.Child(name="clock", argv=[sys.executable, "manage.py", "floor_clock"], role="clock", process=Stopped())
    assert run.Command(stdout=io.StringIO(), stderr=io.StringIO())._supervise([clock]) == 0
    assert [kwargs["env"]["LEADCRM_PROCESS_ROLE"] for _, kwargs in started] == ["clock"]  # restarted as the clock


def spawned_with(monkeypatch, **options) -> list[tuple[list[str], dict]]:
    """The (argv, Popen keyword arguments) of each child `run` starts with these options (nothing is started)."""
    import io

    from leadcrm.management.commands import run

    started = []

    class Process:
        def __init__(self, argv, **kwargs):
            started.append((argv, kwargs))

    monkeypatch.setattr(run.subprocess, "Popen", Process)
    monkeypatch.setattr(run, "call_command", lambda *args, **kwargs: None)
    monkeypatch.setattr(run.signal, "signal", lambda *args: None)
    monkeypatch.setattr(run.Command, "_supervise", lambda self, children: 0)
    out = io.StringIO()
    with pytest.raises(SystemExit):
        run.Command(stdout=out).handle(host="127.0.0.1", port=8000, no_seed=True, web_only=False, web_workers=1,
                                       clusters=1, **options)
    started.append((["banner"], {"text": out.getvalue()}))
    return started


def child_levels(started) -> dict[str, str]:
    """Each child's LOG_LEVEL, and uvicorn's --log-level, by child."""
    levels = {}
    for argv, kwargs in started[:-1]:
        name = argv[-1] if "manage.py" in argv else "uvicorn"
        levels[name] = kwargs["env"].get("LOG_LEVEL")
        if name == "uvicorn":
            levels["uvicorn --log-level"] = argv[argv.index("--log-level") + 1]
    return levels


def test_run_logs_only_warnings_and_errors_by_default(monkeypatch):
    monkeypatch.delenv("LOG_LEVEL", raising=False)
    started = spawned_with(monkeypatch)
    assert child_levels(started) == {"uvicorn": "WARNING", "uvicorn --log-level": "warning", "qcluster": "WARNING",
                                     "floor_clock": "WARNING"}
    assert "--verbose" in started[-1][1]["text"]  # the banner says how to see more


@pytest.mark.parametrize("env,options", [({}, {"verbose": True}), ({"LOG_LEVEL": "info"}, {})])
def test_run_verbose_or_log_level_info_restores_every_task_line(monkeypatch, env, options):
    monkeypatch.delenv("LOG_LEVEL", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    started = spawned_with(monkeypatch, **options)
    assert child_levels(started) == {"uvicorn": "INFO", "uvicorn --log-level": "info", "qcluster": "INFO",
                                     "floor_clock": "INFO"}
    assert "--verbose" not in started[-1][1]["text"]


def test_run_refuses_an_unknown_log_level(monkeypatch):
    from django.core.management.base import CommandError

    monkeypatch.setenv("LOG_LEVEL", "chatty")
    with pytest.raises(CommandError, match="LOG_LEVEL must be one of"):
        spawned_with(monkeypatch)


@pytest.mark.parametrize("level,shown", [("WARNING", ["warning line"]), ("INFO", ["info line", "warning line"])])
def test_a_childs_log_level_filters_django_q_task_lines(tmp_path, level, shown):
    """What each child does with the LOG_LEVEL `run` gives it: django-q2's per-task INFO lines go, warnings stay."""
    from tests.liveserver import ROOT, embedded_env

    code = ("import logging; log = logging.getLogger('django-q'); "
            "log.info('info line'); log.warning('warning line')")
    done = subprocess.run([sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, env=embedded_env(tmp_path, LOG_LEVEL=level))
    assert done.returncode == 0, done.stderr
    assert [line for line in ("info line", "warning line") if line in done.stderr] == shown
