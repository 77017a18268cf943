"""Bench-only settings: the embedded defaults with bench/floor_urls.py as the root URLconf."""

from leadcrm.settings.local import *  # noqa: F401,F403

ROOT_URLCONF = "bench.floor_urls"
