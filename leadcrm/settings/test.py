"""Fast, isolated settings for the test suite."""

from leadcrm.settings.base import *  # noqa: F401,F403
from leadcrm.settings.base import DATABASE_ENGINE, DATABASES, Q_CLUSTER, REST_FRAMEWORK

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Tasks run inline so a test sees the whole path post -> task -> assignment.
Q_CLUSTER = {**Q_CLUSTER, "sync": True}
# A test changes the configuration and routes at once; the memo has its own tests.
ROUTING_CONFIG_CACHE_SECONDS = 0
if DATABASE_ENGINE == "sqlite":
    DATABASES["default"]["TEST"] = {"NAME": ":memory:"}
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"login": "1000/min"}}
SERVESTATIC_AUTOREFRESH = True
