"""Typed reads of environment variables for the settings modules."""

import os
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured


def env_str(name: str, default: str) -> str:
    """The variable's value, or default when unset or empty."""
    return os.environ.get(name) or default


def env_bool(name: str, default: bool) -> bool:
    """True for 1/true/yes/on (any case), False for anything else set; default when unset."""
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    """The variable as an int; raises ValueError naming the variable when it is not one."""
    value = os.environ.get(name)
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"environment variable {name} must be an integer, got {value!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    """A comma-separated variable as a list of trimmed, non-empty items."""
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def secret_key(var_dir: Path) -> str:
    """SECRET_KEY from the environment, else one generated once and kept in var_dir."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    var_dir.mkdir(parents=True, exist_ok=True)
    path = var_dir / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


EMAIL_SCHEMES = {"smtp": 25, "smtp+tls": 587, "smtp+ssl": 465}
SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
CONSOLE_BACKEND = "django.core.mail.backends.console.EmailBackend"


def email_settings(url: str, *, timeout: int = 10) -> dict[str, Any]:
    """Django's EMAIL_* settings for an EMAIL_URL, plus EMAIL_ENABLED and EMAIL_DESCRIPTION (no password).

    Forms: smtp://host[:port], smtp+tls://user:password@host[:port] (STARTTLS, default port 587),
    smtp+ssl://... (TLS from the start, 465), console:// (printed to standard output). User and password are
    url-decoded. Empty: email is off. Anything else raises ImproperlyConfigured, whose message never holds the
    password.
    """
    if not url:
        return {"EMAIL_ENABLED": False, "EMAIL_DESCRIPTION": "off (EMAIL_URL is not set)"}
    scheme, sep, rest = url.partition("://")
    scheme = scheme.lower()
    if not sep:
        raise ImproperlyConfigured("EMAIL_URL must look like smtp://host:port, smtp+tls://user:password@host:587, "
                                   "smtp+ssl://user:password@host:465 or console://.")
    if scheme == "console":
        return {"EMAIL_ENABLED": True, "EMAIL_BACKEND": CONSOLE_BACKEND,
                "EMAIL_DESCRIPTION": "printed to the console (console://)"}
    if scheme not in EMAIL_SCHEMES:
        raise ImproperlyConfigured(f"EMAIL_URL scheme {scheme!r} is not one of smtp, smtp+tls, smtp+ssl, console.")
    parts = urlsplit(f"smtp://{rest}")
    try:
        port = parts.port or EMAIL_SCHEMES[scheme]
    except ValueError:
        raise ImproperlyConfigured("EMAIL_URL has a port that is not a number from 1 to 65535.") from None
    if not parts.hostname:
        raise ImproperlyConfigured(f"EMAIL_URL ({scheme}://...) names no host.")
    user, password = unquote(parts.username or ""), unquote(parts.password or "")
    at = f"{user}@" if user else ""
    return {
        "EMAIL_ENABLED": True, "EMAIL_BACKEND": SMTP_BACKEND, "EMAIL_HOST": parts.hostname, "EMAIL_PORT": port,
        "EMAIL_HOST_USER": user, "EMAIL_HOST_PASSWORD": password, "EMAIL_USE_TLS": scheme == "smtp+tls",
        "EMAIL_USE_SSL": scheme == "smtp+ssl", "EMAIL_TIMEOUT": timeout,
        "EMAIL_DESCRIPTION": f"{scheme}://{at}{parts.hostname}:{port}",
    }
