"""Test settings with the test database in a SQLite file, so threads contend like the embedded server's do.

The default in-memory test database shares one cache between connections, where SQLite answers a busy writer
with "table is locked" at once instead of waiting; a file uses WAL + BEGIN IMMEDIATE + busy_timeout as in
production. Used by test_intake_concurrency.py in a child pytest.
"""

import os

from leadcrm.settings.test import *  # noqa: F401,F403
from leadcrm.settings.test import DATABASES

DATABASES = {"default": {**DATABASES["default"], "TEST": {"NAME": os.environ["LEADCRM_TEST_SQLITE_FILE"]}}}
