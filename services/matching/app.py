"""Matching's wiring."""

from __future__ import annotations

from fastapi import FastAPI

from services.matching.api import router
from services.matching.handlers import register_handlers
from services.matching.service import Matcher
from services.matching.store import INDEXES, MatchingStore
from shared.service import build_app, build_runtime
from shared.settings import Settings


def create_app(settings: Settings) -> FastAPI:
    runtime = build_runtime("matching", settings)
    matcher = Matcher(MatchingStore(runtime.db), runtime.outbox, settings)
    register_handlers(runtime.consumer, matcher)
    runtime.background.append(matcher.load)
    app = build_app(runtime, [router], INDEXES)
    app.state.matcher = matcher
    return app
