"""Commitments' wiring."""

from __future__ import annotations

from fastapi import FastAPI

from services.commitments.api import router
from services.commitments.handlers import register_handlers
from services.commitments.service import Scheduler, Tracker
from services.commitments.store import INDEXES, CommitmentStore
from shared.service import build_app, build_runtime
from shared.settings import Settings


def create_app(settings: Settings) -> FastAPI:
    runtime = build_runtime("commitments", settings)
    tracker = Tracker(CommitmentStore(runtime.db), runtime.outbox, runtime.clock, settings)
    scheduler = Scheduler(tracker)
    register_handlers(runtime.consumer, tracker)
    runtime.background.append(scheduler.run)
    app = build_app(runtime, [router], INDEXES)
    app.state.tracker = tracker
    app.state.scheduler = scheduler
    return app
