"""Settings for `make run` and manage.py on a workstation: the base, as configured by the environment."""

from leadcrm.settings.base import *  # noqa: F401,F403
