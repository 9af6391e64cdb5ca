"""The one error the constructs raise on purpose."""

from __future__ import annotations

from eventual.errors import EventualError


class ServiceDefinitionError(EventualError, ValueError):
    """The service cannot be deployed as declared (a name, a limit, a requirement); caught at synth."""
