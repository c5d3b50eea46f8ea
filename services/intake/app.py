"""Intake's wiring: the runtime, its routes and indexes."""

from __future__ import annotations

from fastapi import FastAPI

from services.intake.api import router
from services.intake.store import INDEXES
from shared.service import build_app, build_runtime
from shared.settings import Settings


def create_app(settings: Settings) -> FastAPI:
    runtime = build_runtime("intake", settings)
    return build_app(runtime, [router], INDEXES)
