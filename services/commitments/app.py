"""Commitments' wiring."""

from __future__ import annotations

from fastapi import FastAPI

from shared.service import build_app, build_runtime
from shared.settings import Settings


def create_app(settings: Settings) -> FastAPI:
    runtime = build_runtime("commitments", settings)
    return build_app(runtime, [], {})
