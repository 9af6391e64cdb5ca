"""Whether a deployed service's endpoints can be used yet, from its stack's status and its URLs.

A stack whose status is not ``*_COMPLETE`` is mid-deployment or failed: its outputs may not be what
runs. And a stack created halfway can hold outputs such as ``wss://None.execute-api...`` (an id
that did not exist yet when the output was written). Either way ``eventual get service`` still
prints the endpoints, marked as not ready, rather than hand a script a URL that cannot connect.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from eventual.outputs import ServiceEndpoints

HEALTHY = frozenset({"CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE"})
_PLACEHOLDERS = frozenset({"", "none", "null", "undefined"})
"""Host labels that are a missing value printed, not a name (``str(None)``, JavaScript's)."""


def stack_complete(status: str) -> bool:
    """A ``*_COMPLETE`` status other than a deletion: what the outputs say is what runs."""
    return status.endswith("_COMPLETE") and not status.startswith("DELETE_")


def status_note(status: str) -> str | None:
    """Why the endpoints of a stack in ``status`` may not be what is deployed, or None."""
    if status in HEALTHY:
        return None
    if status.startswith("DELETE_"):
        if status.endswith("_IN_PROGRESS"):
            return "the stack is being deleted"
        return "deleting the stack failed"
    if status.endswith("_IN_PROGRESS"):
        return "a deployment is in progress; these endpoints may change"
    if status.endswith("_FAILED"):
        return "the last deployment failed; these endpoints may be stale"
    if "ROLLBACK" in status:
        return "the last deployment was rolled back; these are the previous deployment's endpoints"
    return "unexpected stack status"


def url_problem(url: str, scheme: str) -> str | None:
    """What makes ``url`` unusable as a ``scheme`` endpoint, or None."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "not a URL"
    if parts.scheme != scheme:
        return f"not a {scheme}:// URL"
    labels = (parts.hostname or "").split(".")
    if any(label.lower() in _PLACEHOLDERS for label in labels) or "${Token[" in url:
        return "its host names no API (the stack's outputs were written before the API existed)"
    return None


def not_ready(endpoints: ServiceEndpoints, status: str) -> dict[str, object]:
    """The endpoints of a stack in ``status`` that cannot be used yet, and why: ``{"api_endpoint":
    why, "sockets": {name: why}}`` with only what is not ready (``{}`` when all are)."""
    stack = None if stack_complete(status) else f"the stack is {status}"
    found: dict[str, object] = {}
    if endpoints.api:
        why = stack or url_problem(endpoints.api, "https")
        if why:
            found["api_endpoint"] = why
    sockets = {
        name: why
        for name, url in sorted(endpoints.sockets.items())
        if (why := stack or url_problem(url, "wss"))
    }
    if sockets:
        found["sockets"] = sockets
    return found
