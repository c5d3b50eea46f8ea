"""Directory imports and exports, the use cases against the fake unit of work: what an import
stores and announces, that importing again changes nothing, that a changed directory updates
only what changed, that nothing is half-written, and that an export imports into another
network as the same profiles."""

from __future__ import annotations

from typing import Any

import pytest

from services.intake.domain import NetworkInput, OrganizationInput
from services.intake.service import IntakeService
from shared.clock import Clock, WallClock
from shared.contracts.intake import DirectoryImport
from tests.support.fake_intake import FakeIntakeUnitOfWork
from tests.support.hsds import data_url, sample_files, sample_zip, unzip_data_url, zipped


@pytest.fixture
def uow() -> FakeIntakeUnitOfWork:
    return FakeIntakeUnitOfWork()


@pytest.fixture
def intake() -> IntakeService:
    return IntakeService(Clock(), WallClock())


async def new_network(
    intake: IntakeService, uow: FakeIntakeUnitOfWork, name: str = "Lane Network"
) -> str:
    network = NetworkInput(name=name, region="Lane County", time_zone="America/Los_Angeles")
    return (await intake.create_network(network, uow)).network_id


async def import_file(
    intake: IntakeService, uow: FakeIntakeUnitOfWork, network_id: str, file: str
) -> dict[str, Any]:
    parsed = await intake.parse_directory(network_id, file, uow)
    answer: DirectoryImport = await intake.import_directory(network_id, parsed, uow)
    return answer.model_dump(mode="json")


def profiles_of(uow: FakeIntakeUnitOfWork, network_id: str) -> list[dict[str, Any]]:
    """The network's profiles by name, without what differs between networks."""
    docs = [d for d in uow.tables["organizations"].values() if d["network_id"] == network_id]
    keep = {"_id", "organization_id", "network_id", "normalized_name"}
    return sorted(({k: v for k, v in d.items() if k not in keep} for d in docs), key=str)


def event_data(uow: FakeIntakeUnitOfWork) -> list[dict[str, Any]]:
    return [event.data for event in uow.events]


async def test_the_sample_registers_ten_organizations_with_placeholder_admins(
    intake: IntakeService, uow: FakeIntakeUnitOfWork
) -> None:
    network_id = await new_network(intake, uow)
    answer = await import_file(intake, uow, network_id, sample_zip())
    assert answer["organizationsCreated"] == 10 and answer["rowsRejected"] == 0
    assert (answer["organizationsUpdated"], answer["organizationsUnchanged"]) == (0, 0)
    assert answer["offers"] == 10 and answer["rowsRead"] == 48
    assert uow.types == ["organization.registered"] * 10
    sanctuary = next(d for d in event_data(uow) if d["profile"]["name"] == "Sanctuary Example City")
    assert sanctuary["profile"]["time_zone"] == "America/Los_Angeles"
    assert sanctuary["network_name"] == "Lane Network"
    admin = sanctuary["admin"]
    assert admin["role"] == "ORG_ADMIN" and admin["email"].endswith("@directory.invalid")
    assert admin["member_id"] in uow.tables["members"]
    assert all(t["member_id"] != admin["member_id"] for t in uow.tables["tokens"].values())
    stored = uow.tables["organizations"][sanctuary["profile"]["organization_id"]]
    assert stored["hsds_id"] == "1899600a-649c-11e6-8b77-86f30ca893d3"


async def test_importing_again_changes_nothing_and_a_changed_row_updates_only_its_profile(
    intake: IntakeService, uow: FakeIntakeUnitOfWork
) -> None:
    network_id = await new_network(intake, uow)
    await import_file(intake, uow, network_id, sample_zip())
    before = profiles_of(uow, network_id)
    again = await import_file(intake, uow, network_id, sample_zip())
    assert (again["organizationsCreated"], again["organizationsUnchanged"]) == (0, 10)
    assert profiles_of(uow, network_id) == before
    assert len(uow.events) == 10

    files = sample_files()
    organizations = files["organizations.csv"]
    assert isinstance(organizations, bytes)
    files["organizations.csv"] = organizations.replace(
        b"Sanctuary assists homeless", b"Sanctuary helps homeless"
    )
    changed = await import_file(intake, uow, network_id, data_url(zipped(files)))
    assert (changed["organizationsUpdated"], changed["organizationsUnchanged"]) == (1, 9)
    assert uow.types[-1] == "organization.updated"
    last = event_data(uow)[-1]
    assert last["profile"]["mission"].startswith("Sanctuary helps homeless")
    assert last["profile"]["version"] == 2


async def test_a_failed_import_writes_nothing(
    intake: IntakeService, uow: FakeIntakeUnitOfWork, monkeypatch: pytest.MonkeyPatch
) -> None:
    network_id = await new_network(intake, uow)

    async def broken(*args: Any) -> None:
        raise RuntimeError("the outbox write failed")

    monkeypatch.setattr(uow, "publish_many", broken)
    with pytest.raises(RuntimeError):
        await import_file(intake, uow, network_id, sample_zip())
    assert uow.tables["organizations"] == {} and uow.tables["members"] == {}


async def test_a_name_already_registered_is_a_rejected_row(
    intake: IntakeService, uow: FakeIntakeUnitOfWork
) -> None:
    network_id = await new_network(intake, uow)
    own = OrganizationInput.model_validate(
        {
            "network_id": network_id,
            "name": "The Sanctuary Example City",
            "admin": {"name": "Ada", "email": "ada@example.org"},
        }
    )
    registered = await intake.register_organization(own, True, None, uow)
    answer = await import_file(intake, uow, network_id, sample_zip())
    [rejected] = answer["rejectedRows"]
    assert (rejected["file"], rejected["row"], rejected["field"]) == (
        "organizations.csv",
        2,
        "name",
    )
    assert registered.organization.organization_id in rejected["message"]
    assert answer["organizationsCreated"] == 9


async def test_an_export_imports_into_another_network_as_the_same_profiles(
    intake: IntakeService, uow: FakeIntakeUnitOfWork
) -> None:
    first = await new_network(intake, uow)
    await import_file(intake, uow, first, sample_zip())
    exported = (await intake.export_directory(first, uow)).model_dump(mode="json")
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

    second = await new_network(intake, uow)
    answer = await import_file(intake, uow, second, exported["dataUrl"])
    assert (answer["organizationsCreated"], answer["rowsRejected"]) == (10, 0)
    assert profiles_of(uow, second) == profiles_of(uow, first)
    assert (await intake.export_directory(second, uow)).data_url == exported["dataUrl"]
    # and into the network it came from: nothing changes
    back = await import_file(intake, uow, first, exported["dataUrl"])
    assert back["organizationsUnchanged"] == 10


async def test_organizations_registered_by_hand_keep_their_identity_through_an_export(
    intake: IntakeService, uow: FakeIntakeUnitOfWork
) -> None:
    network_id = await new_network(intake, uow)
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
    await intake.register_organization(own, True, None, uow)
    exported = (await intake.export_directory(network_id, uow)).model_dump(mode="json")
    answer = await import_file(intake, uow, network_id, exported["dataUrl"])
    assert (answer["organizationsCreated"], answer["organizationsUnchanged"]) == (0, 1)
