"""What every use case of intake shares: its clocks, reading a network or an organization that
must exist, and the refusals more than one area gives."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from pymongo.errors import DuplicateKeyError

from services.intake.service.unit_of_work import IntakeUnitOfWork, StaleWrite
from shared.clock import Clock
from shared.contracts import OrganizationProfile
from shared.contracts.page import Edge, EdgePage
from shared.errors import AppError, ErrorCode, not_found
from shared.mongo import Document

MAX_REJECTED_LISTED = 1000  # an import's rowsRejected counts them all
ATTEMPTS = 3
# lost races: a document changed since it was read, or a concurrent twin inserted it first
RACES: tuple[type[Exception], ...] = (StaleWrite, DuplicateKeyError)
T = TypeVar("T")


def archived(organization_id: str) -> AppError:
    return AppError(ErrorCode.CONFLICT, f"organization {organization_id} is archived")


class UseCases:
    def __init__(self, clock: Clock, wall_clock: Clock) -> None:
        """`clock` stamps what intake records (tests may set it); `wall_clock` judges security
        lifetimes (sessions), which run out in real time whatever the tests set."""
        self.clock = clock
        self.wall_clock = wall_clock


async def network_of(uow: IntakeUnitOfWork, network_id: str) -> Document:
    found = await uow.networks.get(network_id)
    if found is None:
        raise not_found("network", network_id)
    return found


async def profile_of(uow: IntakeUnitOfWork, organization_id: str) -> OrganizationProfile:
    found = await uow.organizations.get(organization_id)
    if found is None:
        raise not_found("organization", organization_id)
    return OrganizationProfile(**found)


def edge_page(docs: list[Document], first: int, render: Callable[[Document], Any]) -> EdgePage:
    """A page of `{"cursor", "node"}` items from `first` + 1 fetched documents; the cursor
    is the `_id` (pages are in `_id` order)."""
    return EdgePage.of([Edge(cursor=d["_id"], node=render(d)) for d in docs], first)


async def again_if_raced(
    write: Callable[[], Awaitable[T]], races: tuple[type[Exception], ...] = RACES
) -> T:
    """`write`, run again (`ATTEMPTS` runs in all) while it loses a race. Each run reads
    anew, so the next one builds on what won."""
    for _ in range(ATTEMPTS - 1):
        try:
            return await write()
        except races:
            continue
    return await write()
