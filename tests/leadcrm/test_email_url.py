"""EMAIL_URL into Django's email settings: the four forms, url-decoded credentials, clear errors without secrets."""

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from leadcrm.env import CONSOLE_BACKEND, SMTP_BACKEND, email_settings


def test_unset_turns_email_off():
    assert email_settings("") == {"EMAIL_ENABLED": False, "EMAIL_DESCRIPTION": "off (EMAIL_URL is not set)"}


def test_console_prints_the_emails():
    config = email_settings("console://")
    assert (config["EMAIL_ENABLED"], config["EMAIL_BACKEND"]) == (True, CONSOLE_BACKEND)


def test_plain_smtp_with_a_port():
    assert email_settings("smtp://127.0.0.1:1025") == {
        "EMAIL_ENABLED": True, "EMAIL_BACKEND": SMTP_BACKEND, "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": 1025,
        "EMAIL_HOST_USER": "", "EMAIL_HOST_PASSWORD": "", "EMAIL_USE_TLS": False, "EMAIL_USE_SSL": False,
        "EMAIL_TIMEOUT": 10, "EMAIL_DESCRIPTION": "smtp://127.0.0.1:1025"}


@pytest.mark.parametrize("url,port,tls,ssl", [
    ("smtp://mail.example.com", 25, False, False),
    ("smtp+tls://mail.example.com", 587, True, False),
    ("SMTP+SSL://mail.example.com", 465, False, True),
    ("smtp+tls://mail.example.com:2525", 2525, True, False),
])
def test_default_ports_and_tls(url, port, tls, ssl):
    config = email_settings(url, timeout=5)
    assert (config["EMAIL_PORT"], config["EMAIL_USE_TLS"], config["EMAIL_USE_SSL"], config["EMAIL_TIMEOUT"]) == (
        port, tls, ssl, 5)


def test_user_and_password_are_url_decoded_and_the_description_holds_no_password():
    config = email_settings("smtp+tls://alerts%40example.com:p%40ss%3Aw%2Frd@smtp.example.com:587")
    assert (config["EMAIL_HOST_USER"], config["EMAIL_HOST_PASSWORD"]) == ("alerts@example.com", "p@ss:w/rd")
    assert config["EMAIL_DESCRIPTION"] == "smtp+tls://alerts@example.com@smtp.example.com:587"


@pytest.mark.parametrize("url,message", [
    ("mail.example.com", "EMAIL_URL must look like smtp://host:port"),
    ("http://u:hunter2@mail.example.com", "EMAIL_URL scheme 'http' is not one of smtp, smtp+tls, smtp+ssl, console."),
    ("smtp://u:hunter2@mail.example.com:port", "EMAIL_URL has a port that is not a number from 1 to 65535."),
    ("smtp://u:hunter2@mail.example.com:70000", "EMAIL_URL has a port that is not a number from 1 to 65535."),
    ("smtp+tls://u:hunter2@:587", "EMAIL_URL (smtp+tls://...) names no host."),
])
def test_an_invalid_url_is_a_clear_error_that_never_shows_the_password(url, message):
    with pytest.raises(ImproperlyConfigured) as error:
        email_settings(url)
    assert str(error.value).startswith(message) and "hunter2" not in str(error.value)


def test_settings_refuse_to_start_with_a_bad_email_url():

    env = {**os.environ, "EMAIL_URL": "smtp://user:hunter2@host:notaport",
           "DJANGO_SETTINGS_MODULE": "leadcrm.settings.local", "LEADCRM_VAR_DIR": str(settings.VAR_DIR)}
    done = subprocess.run([sys.executable, "manage.py", "check"], cwd=settings.BASE_DIR, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "EMAIL_URL has a port that is not a number from 1 to 65535." in done.stderr
    assert "hunter2" not in done.stderr + done.stdout


def test_run_says_at_start_whether_alerts_go_by_email_and_gives_children_the_base_url(monkeypatch, settings):
    from tests.leadcrm.test_run_command import spawned_with

    monkeypatch.delenv("LEADCRM_BASE_URL", raising=False)
    started = spawned_with(monkeypatch)
    assert "Alerts by email: off (EMAIL_URL is not set)" in started[-1][1]["text"]
    assert {kwargs["env"]["LEADCRM_BASE_URL"] for _, kwargs in started[:-1]} == {"http://127.0.0.1:8000"}
    assert "LEADCRM_BASE_URL" not in os.environ  # told to the children only
    monkeypatch.setenv("LEADCRM_BASE_URL", "https://crm.example.com")
    started = spawned_with(monkeypatch)
    assert {kwargs["env"]["LEADCRM_BASE_URL"] for _, kwargs in started[:-1]} == {"https://crm.example.com"}

    settings.EMAIL_DESCRIPTION = email_settings("smtp+tls://bot:hunter2@smtp.example.com")["EMAIL_DESCRIPTION"]
    banner = spawned_with(monkeypatch)[-1][1]["text"]
    assert "Alerts by email: smtp+tls://bot@smtp.example.com:587" in banner and "hunter2" not in banner
