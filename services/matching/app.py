"""Matching's wiring."""

from __future__ import annotations

from fastapi import FastAPI

from services.matching.api import router
from services.matching.handlers import register_handlers
from services.matching.service import Matcher
from services.matching.store import INDEXES, MongoMatchingUnitOfWork
from shared.service import build_app, build_runtime
from shared.settings import Settings


def create_app(settings: Settings) -> FastAPI:
    runtime = build_runtime("matching", settings)
    matcher = Matcher(settings, runtime.clock)

    def unit_of_work() -> MongoMatchingUnitOfWork:
        return MongoMatchingUnitOfWork(runtime.outbox)

    runtime.consumer.use_unit_of_work(unit_of_work)
    register_handlers(runtime.consumer, matcher)
    runtime.background.append(lambda: matcher.load(unit_of_work()))
    app = build_app(runtime, [router], INDEXES)
    app.state.matcher = matcher
    app.state.unit_of_work = unit_of_work
    return app
