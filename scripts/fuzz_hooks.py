"""Schemathesis checks of our own, loaded by scripts/fuzz.sh (SCHEMATHESIS_HOOKS)."""

import schemathesis


@schemathesis.check
def no_internal_error(ctx, response, case):
    """A refusal is fine; code 20000 ("internal error") is a bug, whatever the status."""
    try:
        body = response.json()
    except Exception:
        return None
    if isinstance(body, dict) and body.get("code") == 20000:
        raise AssertionError(f"code 20000: {body.get('message')}")
    return None
