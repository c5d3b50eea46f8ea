"""Open Referral HSDS through GraphQL on the running stack: the operator imports the sample
directory, exports the network, imports the export into a fresh network and gets the same
profiles; importing again changes nothing; matching hears of the imported organizations; a
package that is not one is refused naming `file`; only the operator may do either."""

from __future__ import annotations

import json
import time
from typing import Any

from deploy.stack import Stack
from tests.support.hsds import sample_zip, unzip_data_url
from tests.support.stack import Client, create_network
from tests.support.wait import eventually

IMPORT = """
mutation I($net: ID!, $file: String!) { importDirectory(networkId: $net, file: $file) {
  importId organizationsCreated organizationsUpdated organizationsUnchanged offers
  rowsRead rowsRejected rejectedRows { file row field message } } }
"""
EXPORT = """
query E($net: ID!) { exportDirectory(networkId: $net) {
  fileName contentType dataUrl organizations rows bytes } }
"""
PROFILES = """
query P($net: ID!) { organizations(networkId: $net, first: 50) { edges { node {
  id name mission focusAreas freeTags region timeZone values populationsServed virtualReady
  offers { kind description quantity unit } needs { kind } } } } }
"""
MATCHES = """
query M($id: ID!) { organization(id: $id) { matches { edges { node {
  organizations { organizationId } } } } } }
"""


def profiles(caller: Client, network_id: str) -> list[dict[str, Any]]:
    """The network's profiles without their ids, by name."""
    edges = caller.data(PROFILES, {"net": network_id})["organizations"]["edges"]
    return sorted(({k: v for k, v in e["node"].items() if k != "id"} for e in edges), key=str)


def test_the_sample_round_trips_through_an_export_into_a_fresh_network(stack: Stack) -> None:
    first = create_network(stack, name="Example City")
    operator = Client(stack.graphql_url, first["operatorToken"])
    started = time.perf_counter()
    answer = operator.data(IMPORT, {"net": first["networkId"], "file": sample_zip()})
    imported_in = time.perf_counter() - started
    answer = answer["importDirectory"]
    assert answer["organizationsCreated"] == 10 and answer["rowsRejected"] == 0
    assert answer["rowsRead"] == 48 and answer["offers"] == 10
    before = profiles(operator, first["networkId"])
    assert len(before) == 10
    sanctuary = next(p for p in before if p["name"] == "Sanctuary Example City")
    assert sanctuary["region"] == "New York City, NY"
    assert sanctuary["focusAreas"] == ["housing", "employment"]
    assert [o["kind"] for o in sanctuary["offers"]] == ["OUTREACH"]

    started = time.perf_counter()
    exported = operator.data(EXPORT, {"net": first["networkId"]})["exportDirectory"]
    exported_in = time.perf_counter() - started
    assert exported["contentType"] == "application/zip" and exported["organizations"] == 10
    assert exported["dataUrl"].startswith("data:application/zip;base64,")
    files = unzip_data_url(exported["dataUrl"])
    assert json.loads(files["datapackage.json"])["title"] == "Example City"

    second = create_network(stack, name="Example City")
    fresh = Client(stack.graphql_url, second["operatorToken"])
    started = time.perf_counter()
    again = fresh.data(IMPORT, {"net": second["networkId"], "file": exported["dataUrl"]})
    reimported_in = time.perf_counter() - started
    assert again["importDirectory"]["organizationsCreated"] == 10
    assert again["importDirectory"]["rowsRejected"] == 0
    assert profiles(fresh, second["networkId"]) == before
    exported_again = fresh.data(EXPORT, {"net": second["networkId"]})["exportDirectory"]
    assert exported_again["dataUrl"] == exported["dataUrl"]  # byte for byte
    print(
        f"\nHSDS round trip of the sample: import {answer['rowsRead']} rows in "
        f"{imported_in:.3f} s, export {exported['rows']} rows ({exported['bytes']} bytes) in "
        f"{exported_in:.3f} s, import of the export in {reimported_in:.3f} s"
    )


def test_importing_again_changes_nothing_and_matching_hears_of_the_organizations(
    stack: Stack, operator: Client, network: dict[str, str]
) -> None:
    net = network["networkId"]
    operator.data(IMPORT, {"net": net, "file": sample_zip()})
    before = profiles(operator, net)
    again = operator.data(IMPORT, {"net": net, "file": sample_zip()})["importDirectory"]
    assert (again["organizationsCreated"], again["organizationsUpdated"]) == (0, 0)
    assert again["organizationsUnchanged"] == 10
    assert profiles(operator, net) == before

    # A directory has no needs: an organization that needs what imported ones offer is
    # suggested to them, so matching has their profiles.
    imported = {
        e["node"]["id"] for e in operator.data(PROFILES, {"net": net})["organizations"]["edges"]
    }
    school = operator.data(
        "mutation($i: RegisterOrganizationInput!) { registerOrganization(input: $i) { "
        "organization { id } } }",
        {"i": {"networkId": net, "name": "Eastside School", "mission": "Hot meals for pupils",
               "focusAreas": ["food security"], "needs": [{"kind": "MATERIALS"}],
               "admin": {"name": "Bo", "email": "bo@eastside.example.org"}}},
    )["registerOrganization"]["organization"]  # fmt: skip

    def suggested() -> set[str] | None:
        found = operator.data(MATCHES, {"id": school["id"]})["organization"]["matches"]["edges"]
        partners = {p["organizationId"] for e in found for p in e["node"]["organizations"]}
        return (partners & imported) or None

    assert eventually(suggested, timeout=60)


def test_a_file_that_is_not_a_package_is_refused_naming_file(
    operator: Client, network: dict[str, str]
) -> None:
    errors = operator.errors(IMPORT, {"net": network["networkId"], "file": "a,b\n1,2\n"})
    assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert errors[0]["extensions"]["field"] == "file"
    assert operator.data(PROFILES, {"net": network["networkId"]})["organizations"]["edges"] == []


def test_only_the_operator_imports_and_exports(
    stack: Stack, operator: Client, network: dict[str, str]
) -> None:
    net = network["networkId"]
    registered = operator.data(
        "mutation($i: RegisterOrganizationInput!) { registerOrganization(input: $i) { "
        "adminToken } }",
        {"i": {"networkId": net, "name": "GreenLeaf", "admin": {"name": "A", "email": "a@g.org"}}},
    )["registerOrganization"]
    admin = operator.as_(registered["adminToken"])
    for query, variables in ((IMPORT, {"net": net, "file": sample_zip()}), (EXPORT, {"net": net})):
        assert admin.errors(query, variables)[0]["extensions"]["code"] == "FORBIDDEN"
    other = Client(stack.graphql_url, create_network(stack, name="Other")["operatorToken"])
    assert other.errors(EXPORT, {"net": net})[0]["extensions"]["code"] == "NOT_FOUND"
