"""The Celery application both sides share: how tasks are sent, delivered and acknowledged.

Tasks are acknowledged late and rejected when their worker is lost, so a batch whose
worker process dies goes back on the queue; a worker whose whole machine vanished has
its batch delivered again once the visibility timeout passes. Each worker process
takes one task at a time (prefetch 1): a slow batch never holds others back.
"""

from __future__ import annotations

import uuid
from typing import Any

from celery import Celery
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from smartalbum.catalog import State
from smartalbum.errors import ConfigError
from smartalbum.i18n import t
from smartalbum.settings import Settings

TASK = "smartalbum.index_batch"
CATALOG_KEY = "catalog_id"  # in the state table: names the catalog's queue
# Sending waits this long for a broker that went away (a Redis restart) before failing.
PUBLISH_RETRY = {"max_retries": 60, "interval_start": 0.5, "interval_step": 0.5, "interval_max": 3}


def celery_app(settings: Settings) -> Celery:
    """The Celery app on the settings' broker, configured for at-least-once delivery."""
    if not settings.broker:
        raise ConfigError(t("no broker is set: set SMARTALBUM_BROKER, such as redis://host:6379/0"))
    timeout = settings.broker_visibility_timeout
    app = Celery("smartalbum", broker=settings.broker, set_as_current=False)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        task_serializer="json",
        accept_content=["json"],
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,  # a worker outlives a broker restart
        broker_transport_options=transport_options(timeout),
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
        worker_cancel_long_running_tasks_on_connection_loss=False,
        enable_utc=True,
    )
    return app


def transport_options(visibility_timeout: int) -> dict[str, Any]:
    """Redis transport options: abandoned tasks come back after ``visibility_timeout`` s."""
    return {
        "visibility_timeout": visibility_timeout,
        # Look for abandoned tasks often enough that the timeout is what decides.
        "unacked_restore_interval": max(1, min(10, visibility_timeout // 3)),
        "unacked_restore_throttle": 1,
    }


def queue_name(sessions: sessionmaker[Session]) -> str:
    """This catalog's task queue: a worker writing to another catalog never takes its tasks."""
    with sessions.begin() as session:
        # Whoever comes first names the catalog; the others read the name it chose.
        session.execute(
            text("INSERT INTO state (key, value) VALUES (:key, :value) ON CONFLICT DO NOTHING"),
            {"key": CATALOG_KEY, "value": uuid.uuid4().hex},
        )
    with sessions() as session:
        state = session.get(State, CATALOG_KEY)
        assert state is not None
        return f"smartalbum.index.{state.value[:16]}"
