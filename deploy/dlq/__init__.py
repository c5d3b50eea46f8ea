"""`commonweave dlq`: the dead-letter queues in hand (docs/operations.md, "Tools")."""

from deploy.dlq.commands import dlq_app

__all__ = ["dlq_app"]
