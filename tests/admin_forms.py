"""Posting admin forms from tests."""


def management(prefix: str, total: int = 0, initial: int = 0) -> dict[str, str]:
    """The management form of the inline formset `prefix`: `total` forms sent, `initial` of them existing rows."""
    return {f"{prefix}-TOTAL_FORMS": str(total), f"{prefix}-INITIAL_FORMS": str(initial),
            f"{prefix}-MIN_NUM_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "1000"}
