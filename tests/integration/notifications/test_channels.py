"""Notifications against a real SMTP server (aiosmtpd): every partner hears of a milestone in
the inbox and by email, a redelivered event notifies once, and email queued while the mail
server is down arrives once it is back."""

from __future__ import annotations

from deploy.stack import Stack
from shared import contracts as c
from tests.support.events import produce
from tests.support.notifications import MailServer, kinds, two_partners
from tests.support.receiver import Receiver
from tests.support.wait import eventually


async def test_email_waits_for_the_mail_server_and_every_event_notifies_once(
    stack: Stack, mail: MailServer
) -> None:
    mailbox = mail.mailbox
    mail.stop()
    try:
        partnership, admins = two_partners(stack)  # the mail server is down here
        milestone = c.MilestoneReached(
            partnership=partnership, milestone_id="ms_1", title="First recycling drive done"
        )
        bootstrap = stack.settings.kafka_bootstrap
        sent = await produce(bootstrap, "milestone.reached", partnership.partnership_id, milestone)
        await produce(
            bootstrap, "milestone.reached", partnership.partnership_id, milestone, event_id=sent.id
        )
        for client, _ in admins:
            eventually(lambda cl=client: "milestone.reached" in kinds(cl), timeout=45)
        assert not any(mailbox.subjects_to(email) for _, email in admins)
    finally:
        mail.start()

    for _, email in admins:
        eventually(
            lambda e=email: all(
                any(part in s for s in mailbox.subjects_to(e))
                for part in ("reached a milestone", "Welcome to")
            ),
            timeout=30,
        )

    for client, email in admins:
        assert kinds(client).count("milestone.reached") == 1
        subjects = mailbox.subjects_to(email)
        assert any(
            s.startswith("🎉 GreenLeaf + Northside School reached a milestone") for s in subjects
        )
        # once each, whatever else (match suggestions) the two also received
        assert sum(s.startswith("Welcome to") for s in subjects) == 1, subjects
        assert sum("reached a milestone" in s for s in subjects) == 1, subjects


def test_marking_read_clears_exactly_those_notifications(stack: Stack) -> None:
    _, admins = two_partners(stack)
    client = admins[0][0]
    unread = "{ notifications(unreadOnly: true) { edges { node { id } } } }"

    def unread_ids() -> list[str]:
        return [e["node"]["id"] for e in client.data(unread)["notifications"]["edges"]]

    ids = eventually(unread_ids)
    mark = "mutation($ids: [ID!]!) { markNotificationsRead(ids: $ids) }"
    errors = client.errors(mark, {"ids": [*ids, "not-mine"]})
    assert errors[0]["extensions"]["code"] == "NOT_FOUND"
    assert set(ids) <= set(unread_ids())  # nothing half-done
    assert client.data(mark, {"ids": ids})["markNotificationsRead"] == len(ids)
    assert not set(ids) & set(unread_ids())


REGISTER_WEBHOOK = """
mutation($input: RegisterWebhookInput!) {
  registerWebhook(input: $input) { secret webhook { id disabled } }
}"""
DELIVERIES = "query($id: ID!) { webhookDeliveries(webhookId: $id) { ok statusCode error } }"


async def test_a_webhook_receives_the_signed_cloudevent(stack: Stack) -> None:
    partnership, admins = two_partners(stack)
    admin = admins[0][0]
    receiver = Receiver()
    try:
        registered = admin.data(
            REGISTER_WEBHOOK,
            {
                "input": {
                    "url": receiver.url,
                    "eventTypes": ["milestone.reached"],
                    "organizationId": partnership.organization_ids[0],
                }
            },
        )["registerWebhook"]
        receiver.secret = registered["secret"]
        milestone = c.MilestoneReached(partnership=partnership, milestone_id="m", title="Kickoff")
        await produce(
            stack.settings.kafka_bootstrap,
            "milestone.reached",
            partnership.partnership_id,
            milestone,
        )
        eventually(lambda: receiver.events, timeout=30)
        event = receiver.events[0]
        assert (event["type"], event["subject"]) == (
            "milestone.reached",
            partnership.partnership_id,
        )
        assert event["data"]["title"] == "Kickoff" and receiver.bad_signatures == 0
        log = admin.data(DELIVERIES, {"id": registered["webhook"]["id"]})["webhookDeliveries"]
        assert log[0]["ok"] is True
    finally:
        receiver.close()


async def test_a_failing_webhook_is_disabled_and_its_owner_told(stack: Stack) -> None:
    partnership, admins = two_partners(stack)
    admin = admins[0][0]
    receiver = Receiver(status=500)
    try:
        registered = admin.data(
            REGISTER_WEBHOOK,
            {"input": {"url": receiver.url, "organizationId": partnership.organization_ids[0]}},
        )
        webhook_id = registered["registerWebhook"]["webhook"]["id"]
        milestone = c.MilestoneReached(partnership=partnership, milestone_id="m", title="Kickoff")
        await produce(
            stack.settings.kafka_bootstrap,
            "milestone.reached",
            partnership.partnership_id,
            milestone,
        )
        eventually(lambda: "webhook.disabled" in kinds(admin), timeout=30)
        log = admin.data(DELIVERIES, {"id": webhook_id})["webhookDeliveries"]
        # every event kind goes to it (match suggestions too): at least the two allowed failures
        assert len(log) >= 2 and {entry["statusCode"] for entry in log} == {500}
    finally:
        receiver.close()


def test_webhook_urls_that_must_not_be_called_are_refused(stack: Stack) -> None:
    partnership, admins = two_partners(stack)
    for url in ("ftp://example.org/x", "http://169.254.169.254/latest/meta-data"):
        errors = admins[0][0].errors(
            REGISTER_WEBHOOK,
            {"input": {"url": url, "organizationId": partnership.organization_ids[0]}},
        )
        assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"
        assert errors[0]["extensions"]["field"] == "input.url"
