"""Health checks: `/healthz` (this process answers) and `/readyz` (the deployment can work)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify

from service.flows import health
from service.flows.deployment import Deployment

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    """Say this web process is up; asks nothing of the database (for a platform's restarts)."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    """Check the database, its migration and the scheduler's last send pass; 503 if any fails."""
    deployment: Deployment = current_app.extensions["boneline"]
    found = health.readiness(deployment.db, deployment.settings.heartbeat_max_age)
    body = jsonify(status="ready" if found.ready else "not ready", **found.checks)
    body.headers["Cache-Control"] = "no-store"
    return body, 200 if found.ready else 503
