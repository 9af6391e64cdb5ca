"""Deployments for tests whose events reach no connection: they only name the service."""

from __future__ import annotations

from eventual.deployment import ConnectionStore, Deployment, ManagementApi


def unreachable(url: str) -> ManagementApi:
    raise AssertionError(f"this test reaches no connection, yet asked for the management API at {url}")


def bare_deployment(service: str = "s", connections: ConnectionStore | None = None) -> Deployment:
    """A deployment of ``service`` with no socket URLs (and ``connections`` if given)."""
    return Deployment(service, {}, management=unreachable, connections=connections)
