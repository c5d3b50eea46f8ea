"""Commitments' wiring."""

from __future__ import annotations

from fastapi import FastAPI

from services.commitments.api import router
from services.commitments.handlers import register_handlers
from services.commitments.service import Scheduler, Tracker
from services.commitments.store import INDEXES, MongoCommitmentsUnitOfWork
from services.commitments.voice_api import voice_router
from shared.service import build_app, build_runtime
from shared.settings import Settings


def create_app(settings: Settings) -> FastAPI:
    runtime = build_runtime("commitments", settings)
    tracker = Tracker(runtime.clock, settings)

    def unit_of_work() -> MongoCommitmentsUnitOfWork:
        return MongoCommitmentsUnitOfWork(runtime.outbox)

    scheduler = Scheduler(tracker, unit_of_work)
    runtime.consumer.use_unit_of_work(unit_of_work)
    register_handlers(runtime.consumer, tracker)
    runtime.background.append(scheduler.run)
    app = build_app(runtime, [router, voice_router], INDEXES)
    app.state.tracker = tracker
    app.state.scheduler = scheduler
    app.state.unit_of_work = unit_of_work
    return app
