"""GraphQL types and operations served by the commitments service."""

from __future__ import annotations

QUERIES: list[type] = []
MUTATIONS: list[type] = []
