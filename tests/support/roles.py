"""The roles matrix: every mutation called by each role (the network's operator, an org
admin, a plain member of that organization, and the admin of another organization of the
same network that is not a party), allowed or refused as the contract says. Run by
tests/integration/gateway/test_roles.py (which checks the table names every mutation of the
schema) and by the drills."""

# ruff: noqa: E501 (the table reads best one operation to a few long lines)
from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from deploy.stack import Stack
from tests.support.links import PROPOSE, STEPS, Side, network_side, propose
from tests.support.matches import matches_of
from tests.support.organizations import register, register_profile
from tests.support.partnerships import COMMIT, form
from tests.support.stack import Client, codes, create_network
from tests.support.wait import eventually

ROLES = ("operator", "admin", "member", "outsider")
OK = "ok"
FORBIDDEN = "FORBIDDEN"
counter = itertools.count()


@dataclass
class World:
    net: str
    clients: dict[str, Client]
    a: str  # the admin's and the member's organization
    b: str  # its partner
    match: Callable[[], str]
    other_network: Callable[[], Side]

    def incoming_link(self) -> str:
        """A link another network proposes to this one."""
        other = self.other_network()
        link_id: str = propose(other.operator, other.network_id, self.net)["id"]
        return link_id

    def partnership(self) -> str:
        pid: str = form(self.clients["operator"], f"P{next(counter)}", [self.a, self.b])["id"]
        return pid

    def commitment(self, pid: str) -> str:
        due = (datetime.now(UTC) + timedelta(days=9)).isoformat()
        body = {"partnershipId": pid, "ownerOrganizationId": self.a, "title": "T", "dueAt": due}
        made: str = self.clients["operator"].data(COMMIT, {"i": body})["makeCommitment"]["id"]
        return made

    def webhook(self) -> str:
        """A webhook of the admin's organization, registered by the operator."""
        body = {"i": {"url": "http://127.0.0.1:9/hook", "organizationId": self.a}}
        made = self.clients["operator"].data(
            "mutation($i: RegisterWebhookInput!) { registerWebhook(input: $i) { webhook { id } } }",
            body,
        )
        webhook_id: str = made["registerWebhook"]["webhook"]["id"]
        return webhook_id

    def proposal(self) -> str:
        """A commitment the partner proposes for the admin's organization."""
        due = (datetime.now(UTC) + timedelta(days=9)).isoformat()
        body = {"partnershipId": self.partnership(), "ownerOrganizationId": self.a, "title": "P",
                "dueAt": due}  # fmt: skip
        made = self.clients["partner"].data(COMMIT, {"i": body})["makeCommitment"]
        assert made["status"] == "PROPOSED"
        proposed: str = made["id"]
        return proposed


def make_world(stack: Stack) -> World:
    """A network with two organizations matching pairs, a bystander, and each role's client."""
    net = create_network(stack, name="Roles Network")
    operator = Client(stack.graphql_url, net["operatorToken"])
    a = register_profile(
        operator, net["networkId"], "Roles Outreach", focusAreas=["food security"],
        offers=[{"kind": "OUTREACH"}], needs=[{"kind": "FUNDING"}],
    )  # fmt: skip
    b = register_profile(
        operator, net["networkId"], "Roles Fund", focusAreas=["food security"],
        offers=[{"kind": "FUNDING"}], needs=[{"kind": "OUTREACH"}],
    )  # fmt: skip
    c = register(operator, net["networkId"], "Roles Bystander")
    admin = operator.as_(a["adminToken"])
    member_token = admin.data(
        "mutation($o: ID!, $i: AddMemberInput!) { addMember(organizationId: $o, input: $i) "
        "{ token } }",
        {"o": a["organization"]["id"], "i": {"name": "Mo", "email": "mo@roles.example.org"}},
    )["addMember"]["token"]
    clients = {
        "operator": operator,
        "admin": admin,
        "member": operator.as_(member_token),
        "outsider": operator.as_(c["adminToken"]),
        "partner": operator.as_(b["adminToken"]),  # not a role of the matrix: proposes to a
    }

    def a_match() -> str:
        found = eventually(lambda: matches_of(admin, a["organization"]["id"]), timeout=30)
        match_id: str = found[0]["id"]
        return match_id

    ids = a["organization"]["id"], b["organization"]["id"]
    return World(
        net["networkId"], clients, *ids, a_match,
        lambda: network_side(stack, f"Roles Neighbour {next(counter)}"),
    )  # fmt: skip


Variables = dict[str, Any]
Case = tuple[str, Callable[[World], Variables], dict[str, str]]


def everyone_but_outsider() -> dict[str, str]:
    return {"operator": OK, "admin": OK, "member": OK, "outsider": FORBIDDEN}


def only(*allowed: str, refused: str = FORBIDDEN) -> dict[str, str]:
    return {role: OK if role in allowed else refused for role in ROLES}


def fresh_email() -> str:
    return f"person{next(counter)}@roles.example.org"


def new_member_id(w: World) -> str:
    """A new plain member of the admin's organization, to be removed."""
    added = w.clients["admin"].data(
        'mutation($o: ID!, $e: String!) { addMember(organizationId: $o, input: {name: "R", email: $e}) { member { id } } }',
        {"o": w.a, "e": fresh_email()},
    )
    member_id: str = added["addMember"]["member"]["id"]
    return member_id


CASES: dict[str, Case] = {
    "registerOrganization": (
        "mutation($i: RegisterOrganizationInput!) { registerOrganization(input: $i) { adminToken } }",
        lambda w: {"i": {"networkId": w.net, "name": f"New {next(counter)}",
                         "admin": {"name": "N", "email": fresh_email()}}},
        only("operator", refused="NOT_FOUND"),  # without the join code, as for a missing network
    ),
    "updateOrganization": (
        "mutation($id: ID!) { updateOrganization(id: $id, input: {mission: \"Feeding people\"}) { id } }",
        lambda w: {"id": w.a},
        only("admin"),
    ),
    "archiveOrganization": (
        "mutation($id: ID!) { archiveOrganization(id: $id) { archived } }",
        lambda w: {"id": register(w.clients["operator"], w.net, f"Gone {next(counter)}")["organization"]["id"]},
        only("operator"),  # or that organization's own admin (see test_intake_operations)
    ),
    "addMember": (
        "mutation($o: ID!, $e: String!) { addMember(organizationId: $o, input: {name: \"X\", email: $e}) { token } }",
        lambda w: {"o": w.a, "e": fresh_email()},
        only("admin"),
    ),
    "removeMember": (
        "mutation($o: ID!, $m: ID!) { removeMember(organizationId: $o, memberId: $m) { id } }",
        lambda w: {"o": w.a, "m": new_member_id(w)},
        only("operator", "admin"),
    ),
    "rotateJoinCode": (
        "mutation($n: ID!) { rotateJoinCode(networkId: $n) { id } }",
        lambda w: {"n": w.net},
        only("operator"),
    ),
    "reportNeed": (
        "mutation($i: ReportNeedInput!) { reportNeed(input: $i) { need { id } } }",
        lambda w: {"i": {"networkId": w.net, "title": "Meals", "focusArea": "food security",
                         "area": f"Area {next(counter)}", "severity": 2}},
        {role: OK for role in ROLES},
    ),
    "importSurvey": (
        "mutation($n: ID!, $csv: String!) { importSurvey(networkId: $n, csv: $csv) { rowsImported } }",
        lambda w: {"n": w.net, "csv": f"area,concern,comment\nZone {next(counter)},food,none\n"},
        only("operator"),
    ),
    "importDirectory": (
        "mutation($n: ID!, $f: String!) { importDirectory(networkId: $n, file: $f) { organizationsCreated } }",
        lambda w: {"n": w.net, "f": json.dumps({"resources": [{"name": "organization", "data": [
            {"id": f"hsds-{next(counter)}", "name": f"Directory {next(counter)}"}]}]})},
        only("operator"),
    ),
    "proposeNetworkLink": (
        PROPOSE,
        lambda w: {"n": w.net, "o": w.other_network().network_id, "note": ""},
        only("operator"),
    ),
    "acceptNetworkLink": (STEPS["accept"], lambda w: {"id": w.incoming_link()}, only("operator")),
    "declineNetworkLink": (STEPS["decline"], lambda w: {"id": w.incoming_link()}, only("operator")),
    "endNetworkLink": (STEPS["end"], lambda w: {"id": w.incoming_link()}, only("operator")),
    "respondToMatch": (
        "mutation($m: ID!) { respondToMatch(matchId: $m, decision: ACCEPT) { id } }",
        lambda w: {"m": w.match()},
        only("admin"),
    ),
    "proposeIntroduction": (
        "mutation($i: ProposeIntroductionInput!) { proposeIntroduction(input: $i) { id } }",
        lambda w: {"i": {"organizationIds": [w.a, register(w.clients["operator"], w.net, f"Intro {next(counter)}")["organization"]["id"]],
                         "note": "You should meet"}},
        only("operator"),
    ),
    "formPartnership": (
        "mutation($i: FormPartnershipInput!) { formPartnership(input: $i) { id } }",
        lambda w: {"i": {"name": f"F{next(counter)}", "organizationIds": [w.a, w.b]}},
        only("operator", "admin"),
    ),
    "updatePartnership": (
        "mutation($id: ID!) { updatePartnership(id: $id, input: {goals: [\"Meals\"]}) { id } }",
        lambda w: {"id": w.partnership()},
        everyone_but_outsider(),
    ),
    "updatePartnershipStatus": (
        "mutation($id: ID!) { updatePartnershipStatus(id: $id, status: CLOSED) { status } }",
        lambda w: {"id": w.partnership()},
        everyone_but_outsider(),
    ),
    "assignRoles": (
        "mutation($p: ID!, $o: ID!) { assignRoles(partnershipId: $p, organizationId: $o, responsibilities: [\"Cook\"]) { id } }",
        lambda w: {"p": w.partnership(), "o": w.a},
        everyone_but_outsider(),
    ),
    "makeCommitment": (
        COMMIT,
        lambda w: {"i": {"partnershipId": w.partnership(), "ownerOrganizationId": w.a, "title": "T",
                         "dueAt": (datetime.now(UTC) + timedelta(days=3)).isoformat()}},
        everyone_but_outsider(),
    ),
    "updateCommitment": (
        "mutation($id: ID!) { updateCommitment(id: $id, status: DONE) { status } }",
        lambda w: {"id": w.commitment(w.partnership())},
        everyone_but_outsider(),  # the owner organization's people, and the operator
    ),
    "acceptCommitment": (
        "mutation($id: ID!) { acceptCommitment(id: $id) { status } }",
        lambda w: {"id": w.proposal()},
        only("admin", "member"),  # the owner organization's people: the operator cannot consent for it
    ),
    "declineCommitment": (
        "mutation($id: ID!) { declineCommitment(id: $id) { status } }",
        lambda w: {"id": w.proposal()},
        only("admin", "member"),
    ),
    "recordCheckIn": (
        "mutation($i: RecordCheckInInput!) { recordCheckIn(input: $i) { id } }",
        lambda w: {"i": {"partnershipId": w.partnership(), "heldAt": datetime.now(UTC).isoformat()}},
        everyone_but_outsider(),
    ),
    "reachMilestone": (
        "mutation($i: ReachMilestoneInput!) { reachMilestone(input: $i) { id } }",
        lambda w: {"i": {"partnershipId": w.partnership(), "title": "Done"}},
        everyone_but_outsider(),
    ),
    "postPartnershipUpdate": (
        "mutation($i: PostPartnershipUpdateInput!) { postPartnershipUpdate(input: $i) { id } }",
        lambda w: {"i": {"partnershipId": w.partnership(), "kind": "PROGRESS", "text": "On track"}},
        everyone_but_outsider(),
    ),
    "logContribution": (
        "mutation($i: LogContributionInput!) { logContribution(input: $i) { id } }",
        lambda w: {"i": {"partnershipId": w.partnership(), "organizationId": w.a,
                         "kind": "FUNDS", "quantity": 10, "unit": "USD"}},
        everyone_but_outsider(),
    ),
    "submitFeedback": (
        "mutation($i: SubmitFeedbackInput!) { submitFeedback(input: $i) { id } }",
        lambda w: {"i": {"partnershipId": w.partnership(), "rating": 5}},
        everyone_but_outsider(),
    ),
    "registerWebhook": (
        "mutation($i: RegisterWebhookInput!) { registerWebhook(input: $i) { secret } }",
        lambda w: {"i": {"url": "http://127.0.0.1:9/hook", "organizationId": w.a}},
        only("operator", "admin"),
    ),
    "deleteWebhook": (
        "mutation($id: ID!) { deleteWebhook(id: $id) { id } }",
        lambda w: {"id": w.webhook()},
        only("operator", "admin"),
    ),
    "enableWebhook": (
        "mutation($id: ID!) { enableWebhook(id: $id) { disabled } }",
        lambda w: {"id": w.webhook()},
        only("operator", "admin"),
    ),
    "rotateWebhookSecret": (
        "mutation($id: ID!) { rotateWebhookSecret(id: $id, overlapSeconds: 60) { secret } }",
        lambda w: {"id": w.webhook()},
        only("operator", "admin"),
    ),
    "updateNotificationPreferences": (
        "mutation($i: NotificationPreferencesInput!) { updateNotificationPreferences(input: $i) { timeZone } }",
        lambda w: {"i": {"timeZone": "Europe/Paris"}},
        {role: OK for role in ROLES},  # each caller's own preferences
    ),
    "markNotificationsRead": (
        "mutation { markNotificationsRead(ids: []) }",
        lambda w: {},
        {role: OK for role in ROLES},
    ),
}  # fmt: skip


def answers(world: World, operation: str) -> dict[str, str]:
    """What each role got for the operation: OK or the first error code."""
    document, variables_for, _ = CASES[operation]
    got = {}
    for role in ROLES:
        body = world.clients[role].execute(document, variables_for(world))
        got[role] = codes(body["errors"])[0] if body.get("errors") else OK
    return got
