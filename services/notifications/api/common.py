"""What the route modules share: the use cases (built once, in app.py) and the request's unit
of work, as FastAPI dependencies."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.notifications.service import InboxService, WebhookLifecycle, WebhookService
from services.notifications.store import MongoNotificationsUnitOfWork


def get_uow(request: Request) -> MongoNotificationsUnitOfWork:
    """A request's unit of work (a write route's `WriteOnce` adds its Idempotency-Key)."""
    uow: MongoNotificationsUnitOfWork = request.app.state.unit_of_work()
    return uow


def get_inbox(request: Request) -> InboxService:
    inbox: InboxService = request.app.state.inbox
    return inbox


def get_webhooks(request: Request) -> WebhookService:
    webhooks: WebhookService = request.app.state.webhooks
    return webhooks


def get_lifecycle(request: Request) -> WebhookLifecycle:
    lifecycle: WebhookLifecycle = request.app.state.lifecycle
    return lifecycle


Uow = Annotated[MongoNotificationsUnitOfWork, Depends(get_uow)]
Inbox = Annotated[InboxService, Depends(get_inbox)]
Webhooks = Annotated[WebhookService, Depends(get_webhooks)]
Lifecycle = Annotated[WebhookLifecycle, Depends(get_lifecycle)]
