"""Directory imports and exports, the use cases against a real document store: what an import
stores and announces, that importing again changes nothing, that a changed directory updates
only what changed, that nothing is half-written, and that an export imports into another
network as the same profiles."""

from __future__ import annotations

from typing import Any

import pytest
from pymongo import AsyncMongoClient

from services.intake.domain import NetworkInput, OrganizationInput
from services.intake.service import IntakeService
from services.intake.store import INDEXES, IntakeStore
from shared.clock import Clock
from shared.mongo import Database, Document, ensure_indexes
from shared.outbox import Outbox, Transaction
from tests.support.documents import outbox_events
from tests.support.hsds import data_url, sample_files, sample_zip, unzip_data_url, zipped


@pytest.fixture
async def intake(mongo: AsyncMongoClient[Document], database: Database) -> IntakeService:
    await ensure_indexes(database, INDEXES)
    outbox = Outbox(mongo, database, source="commonweave/intake")
    return IntakeService(IntakeStore(database), outbox, Clock())


async def new_network(intake: IntakeService, name: str = "Lane Network") -> str:
    network = NetworkInput(name=name, region="Lane County", time_zone="America/Los_Angeles")
    created = await intake.create_network(network)
    network_id: str = created["networkId"]
    return network_id


async def import_file(intake: IntakeService, network_id: str, file: str) -> dict[str, Any]:
    parsed = await intake.parse_directory(network_id, file)
    return await intake.import_directory(network_id, parsed)


async def profiles_of(intake: IntakeService, network_id: str) -> list[dict[str, Any]]:
    """The network's profiles by name, without what differs between networks."""
    docs = await intake.store.network_organizations(network_id)
    keep = {"_id", "organization_id", "network_id", "normalized_name"}
    return sorted(({k: v for k, v in d.items() if k not in keep} for d in docs), key=str)


async def test_the_sample_registers_ten_organizations_with_placeholder_admins(
    intake: IntakeService, database: Database
) -> None:
    network_id = await new_network(intake)
    answer = await import_file(intake, network_id, sample_zip())
    assert answer["organizationsCreated"] == 10 and answer["rowsRejected"] == 0
    assert (answer["organizationsUpdated"], answer["organizationsUnchanged"]) == (0, 0)
    assert answer["offers"] == 10 and answer["rowsRead"] == 48
    events = await outbox_events(database)
    assert [e.type for e in events] == ["organization.registered"] * 10
    sanctuary = next(e for e in events if e.data["profile"]["name"] == "Sanctuary Example City")
    assert sanctuary.data["profile"]["time_zone"] == "America/Los_Angeles"
    assert sanctuary.data["network_name"] == "Lane Network"
    admin = sanctuary.data["admin"]
    assert admin["role"] == "ORG_ADMIN" and admin["email"].endswith("@directory.invalid")
    assert await database["tokens"].count_documents({"member_id": admin["member_id"]}) == 0
    stored = await intake.store.organization(sanctuary.subject)
    assert stored is not None and stored["hsds_id"] == "1899600a-649c-11e6-8b77-86f30ca893d3"


async def test_importing_again_changes_nothing_and_a_changed_row_updates_only_its_profile(
    intake: IntakeService, database: Database
) -> None:
    network_id = await new_network(intake)
    await import_file(intake, network_id, sample_zip())
    before = await profiles_of(intake, network_id)
    again = await import_file(intake, network_id, sample_zip())
    assert (again["organizationsCreated"], again["organizationsUnchanged"]) == (0, 10)
    assert await profiles_of(intake, network_id) == before
    assert len(await outbox_events(database)) == 10

    files = sample_files()
    organizations = files["organizations.csv"]
    assert isinstance(organizations, bytes)
    files["organizations.csv"] = organizations.replace(
        b"Sanctuary assists homeless", b"Sanctuary helps homeless"
    )
    changed = await import_file(intake, network_id, data_url(zipped(files)))
    assert (changed["organizationsUpdated"], changed["organizationsUnchanged"]) == (1, 9)
    last = (await outbox_events(database))[-1]
    assert last.type == "organization.updated"
    assert last.data["profile"]["mission"].startswith("Sanctuary helps homeless")
    assert last.data["profile"]["version"] == 2


async def test_a_failed_import_writes_nothing(
    intake: IntakeService, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    network_id = await new_network(intake)

    async def broken(self: Transaction, events: list[Any]) -> None:
        raise RuntimeError("the outbox write failed")

    monkeypatch.setattr(Transaction, "publish_many", broken)
    with pytest.raises(RuntimeError):
        await import_file(intake, network_id, sample_zip())
    assert await database["organizations"].count_documents({}) == 0
    assert await database["members"].count_documents({}) == 0


async def test_a_name_already_registered_is_a_rejected_row(intake: IntakeService) -> None:
    network_id = await new_network(intake)
    own = OrganizationInput.model_validate(
        {
            "network_id": network_id,
            "name": "The Sanctuary Example City",
            "admin": {"name": "Ada", "email": "ada@example.org"},
        }
    )
    registered = await intake.register_organization(own, True, None)
    answer = await import_file(intake, network_id, sample_zip())
    [rejected] = answer["rejectedRows"]
    assert (rejected["file"], rejected["row"], rejected["field"]) == (
        "organizations.csv",
        2,
        "name",
    )
    assert registered["organization"]["organization_id"] in rejected["message"]
    assert answer["organizationsCreated"] == 9


async def test_an_export_imports_into_another_network_as_the_same_profiles(
    intake: IntakeService,
) -> None:
    first = await new_network(intake)
    await import_file(intake, first, sample_zip())
    exported = await intake.export_directory(first)
    assert (exported["organizations"], exported["contentType"]) == (10, "application/zip")
    files = unzip_data_url(exported["dataUrl"])
    assert list(files) == [
        "datapackage.json",
        "organizations.csv",
        "services.csv",
        "locations.csv",
        "taxonomy.csv",
        "services_taxonomy.csv",
    ]

    second = await new_network(intake)
    answer = await import_file(intake, second, exported["dataUrl"])
    assert (answer["organizationsCreated"], answer["rowsRejected"]) == (10, 0)
    assert await profiles_of(intake, second) == await profiles_of(intake, first)
    assert (await intake.export_directory(second))["dataUrl"] == exported["dataUrl"]
    # and into the network it came from: nothing changes
    back = await import_file(intake, first, exported["dataUrl"])
    assert back["organizationsUnchanged"] == 10


async def test_organizations_registered_by_hand_keep_their_identity_through_an_export(
    intake: IntakeService,
) -> None:
    network_id = await new_network(intake)
    own = OrganizationInput.model_validate(
        {
            "network_id": network_id,
            "name": "GreenLeaf",
            "mission": "Recycling education in schools",
            "focus_areas": ["recycling"],
            "offers": [{"kind": "outreach", "description": "School visits"}],
            "admin": {"name": "Ann", "email": "ann@greenleaf.org"},
        }
    )
    await intake.register_organization(own, True, None)
    exported = await intake.export_directory(network_id)
    answer = await import_file(intake, network_id, exported["dataUrl"])
    assert (answer["organizationsCreated"], answer["organizationsUnchanged"]) == (0, 1)
