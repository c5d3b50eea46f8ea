"""Intake's MongoDB collections: the repositories of its unit of work, the only code that
touches them, and their indexes."""

from __future__ import annotations

from pymongo import ASCENDING, IndexModel

from services.intake.service.unit_of_work import IntakeUnitOfWork, StaleWrite
from services.intake.store.needs import MongoNeeds, MongoSurveyImports
from services.intake.store.networks import MongoLinks, MongoNetworks
from services.intake.store.organizations import MongoMembers, MongoOrganizations
from services.intake.store.sessions import INDEXES as SESSION_INDEXES
from services.intake.store.sessions import MongoSessions
from shared.idempotency import IDEMPOTENCY_INDEXES
from shared.mongo import IndexSpec
from shared.outbox import Outbox
from shared.unit_of_work import MongoUnitOfWork

INDEXES: IndexSpec = {
    "networks": [IndexModel([("join_code", ASCENDING)], unique=True)],
    "organizations": [
        IndexModel([("network_id", ASCENDING), ("normalized_name", ASCENDING)], unique=True),
    ],
    "members": [
        IndexModel([("network_id", ASCENDING), ("email", ASCENDING)], unique=True),
        IndexModel([("organization_id", ASCENDING)]),
    ],
    "tokens": [IndexModel([("member_id", ASCENDING)])],
    "needs": [
        IndexModel(
            [("network_id", ASCENDING), ("area_key", ASCENDING), ("focus_area", ASCENDING)],
            unique=True,
        ),
    ],
    "network_links": [
        IndexModel([("proposer_network_id", ASCENDING)]),
        IndexModel([("recipient_network_id", ASCENDING)]),
    ],
    **SESSION_INDEXES,
    **IDEMPOTENCY_INDEXES,
}


class MongoIntakeUnitOfWork(MongoUnitOfWork, IntakeUnitOfWork):
    def __init__(self, outbox: Outbox) -> None:
        super().__init__(outbox)
        self.networks = MongoNetworks(self)
        self.organizations = MongoOrganizations(self)
        self.members = MongoMembers(self)
        self.needs = MongoNeeds(self)
        self.surveys = MongoSurveyImports(self)
        self.links = MongoLinks(self)
        self.sessions = MongoSessions(self)


__all__ = ["INDEXES", "MongoIntakeUnitOfWork", "StaleWrite"]
