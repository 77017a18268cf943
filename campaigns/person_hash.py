"""The salted hash that stands for an erased person's phone or email, so that they can be kept out of intake.

HMAC-SHA256 keyed by the deployment's SECRET_KEY (or ERASURE_SECRET where set, so that rotating SECRET_KEY
keeps erased people suppressed). The hash of a normalised value (E.164 phone, lower-case email) is compared,
never reversed: without the key, a leaked table does not tell whose number it was.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.crypto import salted_hmac

ERASURE_KEY_SALT = "leadcrm.erasure.person"


def person_hash(*, value: str) -> str:
    """The hex salted hash of a normalised phone or email ("" stays "")."""
    if not value:
        return ""
    secret = settings.ERASURE_SECRET or settings.SECRET_KEY
    return salted_hmac(ERASURE_KEY_SALT, value, secret=secret, algorithm="sha256").hexdigest()
