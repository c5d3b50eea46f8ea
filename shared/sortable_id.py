"""Ids that sort by creation time, so pages can use `_id` as their cursor."""

from __future__ import annotations

import secrets
import time


def sortable_id() -> str:
    return f"{time.time_ns():020d}{secrets.token_hex(4)}"
