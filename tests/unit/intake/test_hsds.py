"""Open Referral HSDS directories, the pure part: a data package (zip, with or without its
descriptor, or a descriptor with inline data) becomes profile fields; bad rows are rejected by
file and row while the rest is read; what a network exports reads back as the same
profiles; and an import plans creations, updates and nothing for what did not change."""

from __future__ import annotations

import json
from typing import Any

import pytest

from services.intake.domain.datapackage import RejectedRow, zip_files
from services.intake.domain.hsds import (
    DirectoryEntry,
    ParsedDirectory,
    export_files,
    infer_kind,
    organization_id_for,
    parse_directory,
    plan_import,
)
from services.intake.domain.vocabulary import mentioned_codes
from shared.contracts.intake import OrganizationProfile, Resource
from shared.errors import AppError, ErrorCode
from tests.support.hsds import data_url, sample_files, sample_zip, zipped

ORGANIZATIONS = "id,name,description\n"
SERVICES = "id,organization_id,name,description,status\n"
TAXONOMY = "id,name,vocabulary\n"
LINKS = "id,service_id,taxonomy_id\n"
LOCATIONS = "id,organization_id,name\n"


def package(**files: str) -> str:
    """CSV files named by resource (organizations=..., services=...) as a zipped data URL."""
    return data_url(zipped({f"{name}.csv": text for name, text in files.items()}))


def by_name(parsed: ParsedDirectory) -> dict[str, DirectoryEntry]:
    return {e.name: e for e in parsed.entries}


def profiles(parsed: ParsedDirectory, network_id: str = "net_a") -> list[OrganizationProfile]:
    plan = plan_import(network_id, "UTC", parsed.entries, {}, {})
    assert plan.rejected == []
    return plan.created


def without_ids(profile: OrganizationProfile) -> dict[str, Any]:
    return profile.model_dump(exclude={"organization_id", "network_id"})


def test_the_sample_becomes_ten_profiles_with_typed_offers_focus_areas_and_regions() -> None:
    parsed = parse_directory(sample_zip())
    assert parsed.rejected == []
    assert len(parsed.entries) == 10
    assert parsed.rows_read == 48  # the five resources, locations' addresses and services
    sanctuary = by_name(parsed)["Sanctuary Example City"].fields()
    assert sanctuary["mission"] == (
        "Sanctuary assists homeless individuals find housing and employment."
    )
    assert sanctuary["region"] == "New York City, NY"  # from the location's physical address
    assert sanctuary["focus_areas"] == ["housing", "employment"]  # no taxonomy: its words
    [offer] = sanctuary["offers"]
    assert offer.kind == "outreach"
    assert offer.description.startswith("Never Homeless Helpline — The Never Homeless")
    cross = by_name(parsed)["Example Cross Trust"]
    # the inactive "Wash & Go" offers nothing
    assert [o.kind for o in cross.offers] == ["materials", "venue"]
    assert cross.region == "St Cross Universal Church"
    assert by_name(parsed)["Roz Bernstein Sample Org"].offers == ()  # only an inactive service


def test_a_zip_without_its_descriptor_is_read_by_the_standard_file_names() -> None:
    files = {k: v for k, v in sample_files().items() if k != "datapackage.json"}
    bare = parse_directory(data_url(zipped(files)))
    assert bare.entries == parse_directory(sample_zip()).entries


def test_a_descriptor_with_inline_data_needs_no_zip() -> None:
    descriptor = {
        "resources": [
            {
                "name": "organization",
                "data": [
                    {"id": "o1", "name": "Food Share", "description": "Groceries"},
                    {"id": "o2", "name": ""},
                ],
            },
            {
                "name": "service",
                "data": [
                    ["id", "organization_id", "name", "status"],
                    ["s1", "o1", "Pantry", "active"],
                    ["s2", "o9", "Lost", "active"],
                ],
            },
        ]
    }
    parsed = parse_directory(json.dumps(descriptor))
    assert [(e.name, [o.kind for o in e.offers]) for e in parsed.entries] == [
        ("Food Share", ["materials"])
    ]
    assert parsed.rejected == [
        RejectedRow("datapackage.json (organization)", 2, "name", "name is empty"),
        RejectedRow(
            "datapackage.json (service)",
            3,
            "organization_id",
            "no organization with id o9 (or its row was rejected)",
        ),
    ]
    as_url = data_url(json.dumps(descriptor).encode(), "application/json")
    assert parse_directory(as_url).entries == parsed.entries


def test_a_descriptor_naming_files_it_was_not_sent_with_is_refused_as_a_whole() -> None:
    descriptor = sample_files()["datapackage.json"]
    assert isinstance(descriptor, bytes)
    with pytest.raises(AppError) as caught:
        parse_directory(descriptor.decode())
    assert caught.value.code == ErrorCode.BAD_USER_INPUT and caught.value.field == "file"
    assert "organizations.csv" in caught.value.message and "zip" in caught.value.message


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("area,concern,comment\nEastside,food,x\n", "expected a zip"),
        ("data:application/zip;base64,@@@", "not valid base64"),
        (data_url(b"PK\x03\x04 broken"), "not a readable zip"),
        (package(services=SERVICES), "no organization rows"),
        ('{"resources": 3}', "no list of resources"),
    ],
)
def test_what_is_not_a_package_is_refused_as_a_whole(text: str, says: str) -> None:
    with pytest.raises(AppError) as caught:
        parse_directory(text)
    assert caught.value.field == "file" and says in caught.value.message


def test_bad_rows_are_listed_by_file_and_row_and_the_rest_is_read() -> None:
    parsed = parse_directory(
        package(
            organizations=ORGANIZATIONS
            + "o1,Food Share,Groceries\n"
            + ",No Id,x\n"
            + "o1,Twice,x\n"
            + 'o3,"Multi\nline",x\n'
            + "o4,Food Share Inc,same name\n"
            + "o5,too,many,values\n",
            services=SERVICES + "s1,o1,Pantry,,active\ns2,o2,Orphan,,active\n,o1,No id,,\n",
            taxonomy=TAXONOMY + "t1,Nutrition,\n",
            services_taxonomy=LINKS + "l1,s1,t1\nl2,s1,t9\nl3,s9,t1\n",
        )
    )
    assert [e.name for e in parsed.entries] == ["Food Share", "Multi\nline"]
    assert [(r.file, r.row, r.field) for r in parsed.rejected] == [
        ("organizations.csv", 3, "id"),
        ("organizations.csv", 4, "id"),
        ("organizations.csv", 6, "name"),  # rows as a spreadsheet shows them: row 5 has 2 lines
        ("organizations.csv", 7, "csv"),
        ("services.csv", 3, "organization_id"),
        ("services.csv", 4, "id"),
        ("services_taxonomy.csv", 3, "taxonomy_id"),
        ("services_taxonomy.csv", 4, "service_id"),
    ]
    assert parsed.rejected[2].message == "the same name as row 2 (Food Share)"
    assert by_name(parsed)["Food Share"].fields()["focus_areas"] == ["health"]


def test_taxonomy_terms_become_focus_areas_through_the_vocabulary_and_a_kind_term_types() -> None:
    parsed = parse_directory(
        package(
            organizations=ORGANIZATIONS + "o1,Eastside Youth,Mentoring and meals\n",
            services=SERVICES.replace("status", "status,taxonomy_ids")
            + "s1,o1,Homework club,After school,active,t3\n"
            + "s2,o1,Old program,,inactive,\n",
            taxonomy=TAXONOMY
            + "t1,Tutoring,AIRS\n"
            + "t2,Rural broadband,\n"
            + "t3,Recycling,\n"
            + "t4,funding,Commonweave resource kinds\n",
            services_taxonomy=LINKS + "l1,s1,t1\nl2,s2,t2\nl3,s1,t4\n",
        )
    )
    [entry] = parsed.entries
    fields = entry.fields()
    # legacy taxonomy_ids first, then the links in file order; inactive services' terms count
    assert fields["focus_areas"] == ["environment", "youth_education"]
    assert fields["free_tags"] == ["rural broadband"]
    # the kind term wins over the words ("after school" would not make it funding)
    assert [o.kind for o in fields["offers"]] == ["funding"]


def test_kinds_and_focus_areas_read_from_words() -> None:
    assert infer_kind("Free counselling sessions") == "counseling"
    assert infer_kind("Twice weekly bus services") == "transport"
    assert infer_kind("Business advice") == "expertise"  # "bus" is a word, not a prefix
    assert infer_kind("Parks disability services") == "other"
    assert mentioned_codes("Meals and housing for families") == [
        "food_security",
        "housing",
        "parental_engagement",
    ]


def test_what_a_network_exports_reads_back_as_the_same_profiles() -> None:
    sample = profiles(parse_directory(sample_zip()))
    own = OrganizationProfile(
        organization_id="org_own",
        network_id="net_a",
        version=3,
        name="Riverside Tenants — Union",
        mission="",
        focus_areas=["housing", "arts"],
        free_tags=["rural broadband"],
        region="Eugene, OR; Springfield, OR",
    )
    offering = own.model_copy(
        update={
            "organization_id": "org_two",
            "name": "Two",
            "focus_areas": [],
            "offers": [
                Resource(kind="venue", description="Hall — for 80 — people"),
                Resource(kind="counseling", description="Walk-in"),
            ],
        }
    )
    everything = [*sample, own, offering]
    hsds_ids = [e.hsds_id for e in parse_directory(sample_zip()).entries] + ["org_own", "org_two"]
    exported = export_files("Lane Network", list(zip(everything, hsds_ids, strict=True)))
    assert next(iter(exported.files)) == "datapackage.json"
    again = parse_directory(data_url(zip_files(exported.files)))
    assert again.rejected == []
    assert [e.hsds_id for e in again.entries] == hsds_ids
    back = profiles(again, "net_b")
    assert [without_ids(p) | {"version": 1} for p in everything] == [
        without_ids(p) | {"time_zone": "UTC"} for p in back
    ]
    assert zip_files(exported.files) == zip_files(exported.files)  # the same bytes each time


def test_an_offer_without_a_description_exports_under_its_kind() -> None:
    bare = OrganizationProfile(
        organization_id="org_b", network_id="n", version=1, name="B",
        offers=[Resource(kind="outreach")],
    )  # fmt: skip
    exported = export_files("N", [(bare, "org_b")])
    [entry] = parse_directory(data_url(zip_files(exported.files))).entries
    assert entry.offers == (Resource(kind="outreach", description="Outreach"),)


def test_an_import_plans_creations_updates_and_nothing_for_what_did_not_change() -> None:
    entries = parse_directory(sample_zip()).entries
    first = plan_import("net_a", "Europe/Berlin", entries, {}, {})
    assert len(first.created) == 10 and first.rejected == []
    assert {p.time_zone for p in first.created} == {"Europe/Berlin"}
    ids = [p.organization_id for p in first.created]
    assert ids == [organization_id_for("net_a", e.hsds_id) for e in entries]
    assert ids != [organization_id_for("net_b", e.hsds_id) for e in entries]
    known = {e.hsds_id: p for e, p in zip(entries, first.created, strict=True)}
    again = plan_import("net_a", "UTC", entries, known, {})
    assert (again.created, again.updated, len(again.unchanged)) == ([], [], 10)
    renamed = [entries[0].__class__(**{**entries[0].__dict__, "mission": "New"}), *entries[1:]]
    changed = plan_import("net_a", "UTC", renamed, known, {})
    [(profile, version)] = changed.updated
    assert (profile.mission, profile.version, version) == ("New", 2, 1)
    assert profile.time_zone == "Europe/Berlin"  # what the import does not own stays


def test_a_name_taken_in_the_network_or_an_archived_organization_rejects_the_row() -> None:
    entries = parse_directory(sample_zip()).entries
    names = {"sanctuary example city": "org_native"}
    plan = plan_import("net_a", "UTC", entries, {}, names)
    assert [(r.file, r.row, r.field) for r in plan.rejected] == [("organizations.csv", 2, "name")]
    assert "org_native" in plan.rejected[0].message and len(plan.created) == 9
    first = plan_import("net_a", "UTC", entries[:1], {}, {}).created[0]
    archived = {entries[0].hsds_id: first.model_copy(update={"archived": True})}
    plan = plan_import("net_a", "UTC", entries[:1], archived, {})
    assert [r.field for r in plan.rejected] == ["id"] and plan.created == []


def test_a_descriptor_finds_its_files_in_folders_of_the_zip() -> None:
    descriptor = {"resources": [{"name": "organization", "path": "data/orgs.csv"}]}
    files: dict[str, str | bytes] = {
        "datapackage.json": json.dumps(descriptor),
        "data/orgs.csv": ORGANIZATIONS + "o1,Food Share,Groceries\n",
        "__MACOSX/data/._orgs.csv": b"\x00\x05",
    }
    parsed = parse_directory(data_url(zipped(files, "export-2026/")))
    assert [e.name for e in parsed.entries] == ["Food Share"]


def test_a_zip_of_too_many_files_is_refused_unread(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("services.intake.domain.datapackage.MAX_ENTRIES", 2)
    files: dict[str, str | bytes] = {f"{n}.csv": "id\n" for n in ("a", "b", "c")}
    with pytest.raises(AppError) as caught:
        parse_directory(data_url(zipped(files)))
    assert "more than 2 files" in caught.value.message
