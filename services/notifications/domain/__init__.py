"""Notifications' pure rules: a message and an audience per event kind (`templates`, and
`operators` for the network's operator), members' preferences and when an email goes out
(`schedule`). No I/O."""

from __future__ import annotations

from services.notifications.domain.operators import OPERATOR_TEMPLATES
from services.notifications.domain.templates import MANY, TEMPLATES

# Every kind a member can be told of, and a webhook or a preference can name.
NOTIFIED_KINDS = sorted(set(TEMPLATES) | set(MANY) | set(OPERATOR_TEMPLATES))


def unknown_kinds(kinds: list[str]) -> list[str]:
    """The kinds given that nothing notifies of, in the order given."""
    return [kind for kind in kinds if kind not in NOTIFIED_KINDS]
