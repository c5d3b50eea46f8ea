"""Matching's wiring."""

from __future__ import annotations

from fastapi import FastAPI

from services.matching.api import router
from services.matching.handlers import register_handlers
from services.matching.store import INDEXES, MatchingStore
from shared.service import build_app, build_runtime
from shared.settings import Settings


def create_app(settings: Settings) -> FastAPI:
    runtime = build_runtime("matching", settings)
    register_handlers(runtime.consumer, MatchingStore(runtime.db))
    return build_app(runtime, [router], INDEXES)
