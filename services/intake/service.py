"""Intake's use cases: networks, organizations, members, needs and survey imports. Each write
checks its input against the store, asks the domain for the new state, and stores and
announces it in one transaction (`Outbox.transaction()` is the unit of work). A write taking
`answered` calls it inside that transaction with its answer, so an Idempotency-Key's answer
and the write exist together or not at all (shared/idempotency.py's `WriteOnce`)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from services.intake import domain
from services.intake.domain import datapackage, hsds
from services.intake.domain import links as link_rules
from services.intake.store import IntakeStore
from services.intake.tokens import new_join_code, new_token
from shared.clock import Clock
from shared.contracts import (
    LinkedNetwork,
    MemberRef,
    MemberRemoved,
    NeedProfile,
    NeedReported,
    NeedUpdated,
    NetworkLink,
    NetworkLinkChanged,
    NetworkLinkView,
    OrganizationArchived,
    OrganizationProfile,
    OrganizationRegistered,
    OrganizationUpdated,
    Payload,
    SurveyImported,
    operator_member_id,
)
from shared.errors import AppError, ErrorCode, not_found
from shared.events import new_id
from shared.idempotency import Answered, no_answer
from shared.mongo import Document, retry_transient
from shared.outbox import Outbox

log = logging.getLogger(__name__)
Answer = dict[str, Any]
MAX_REJECTED_LISTED = 1000  # rowsRejected counts them all


def conflict_with(existing_id: str) -> AppError:
    return AppError(
        ErrorCode.CONFLICT,
        f"organization already registered as {existing_id}",
        details={"existingId": existing_id},
    )


def email_taken() -> AppError:
    return AppError(
        ErrorCode.CONFLICT,
        "a member with this email already belongs to the network",
        field="input.email",
    )


def archived(organization_id: str) -> AppError:
    return AppError(ErrorCode.CONFLICT, f"organization {organization_id} is archived")


def network_view(found: Document) -> Answer:
    return {
        "networkId": found["_id"],
        "name": found["name"],
        "region": found["region"],
        "timeZone": found["time_zone"],
        "joinCode": found["join_code"],
    }


class IntakeService:
    def __init__(self, store: IntakeStore, outbox: Outbox, clock: Clock) -> None:
        self.store = store
        self.outbox = outbox
        self.clock = clock

    # -- networks ------------------------------------------------------------------------------

    async def create_network(self, data: domain.NetworkInput) -> Answer:
        """A network and its operator's token (the CLI's; no Idempotency-Key)."""
        network_id, token, join_code = new_id("net"), new_token("op"), new_join_code()

        async def create() -> None:
            async with self.outbox.transaction() as tx:
                await self.store.add_network(
                    network_id, data.model_dump(), join_code, self.clock.now(), tx.session
                )
                operator = operator_member_id(network_id)
                await self.store.add_token(
                    token, domain.Role.OPERATOR, network_id, operator, None, tx.session
                )

        await retry_transient(create)
        return {"networkId": network_id, "operatorToken": token, "joinCode": join_code}

    async def rotate_join_code(self, network_id: str, answered: Answered = no_answer) -> Answer:
        """A new join code; the old one stops working at once. Answers the network."""
        found = await self.store.network(network_id)
        if found is None:
            raise not_found("network", network_id)
        answer = network_view({**found, "join_code": new_join_code()})
        async with self.outbox.transaction() as tx:
            await self.store.set_join_code(network_id, answer["joinCode"], tx.session)
            await answered(tx.session, answer)
        return answer

    # -- links between networks ----------------------------------------------------------------

    async def propose_network_link(
        self, network_id: str, other_network_id: str, note: str, answered: Answered = no_answer
    ) -> NetworkLinkView:
        """Network `network_id` (its operator, checked by the gateway) proposes a link to
        another network; one open (proposed or active) link per pair of networks."""
        if await self.store.network(network_id) is None:
            raise not_found("network", network_id)
        link = link_rules.proposed(
            new_id("lnk"), network_id, other_network_id, note, self.clock.now()
        )
        other = await self.store.network(other_network_id)
        if other is None:
            raise AppError(
                ErrorCode.NOT_FOUND, f"network {other_network_id} not found", field="otherNetworkId"
            )
        pair = link_rules.pair_key(network_id, other_network_id)
        answer = link_view(link, network_id, other)
        async with self.outbox.transaction() as tx:
            link_rules.check_no_open_link(await self.store.open_link_of_pair(pair, tx.session))
            await self.store.save_network_link(link, pair, True, tx.session)
            await tx.publish("network.link_changed", link.link_id, NetworkLinkChanged(link=link))
            await answered(tx.session, answer)
        return answer

    async def change_network_link(
        self, link_id: str, network_id: str, step: str, answered: Answered = no_answer
    ) -> NetworkLinkView:
        """`step` (accept, decline, end) taken by network `network_id` (its operator, checked
        by the gateway); the domain says whether that network may take it in this state."""
        moves = {
            "accept": link_rules.accepted,
            "decline": link_rules.declined,
            "end": link_rules.ended,
        }
        async with self.outbox.transaction() as tx:
            current = await self.store.network_link(link_id, tx.session)
            if current is None:
                raise AppError(
                    ErrorCode.NOT_FOUND, f"network link {link_id} not found", field="linkId"
                )
            link = moves[step](current, network_id, self.clock.now())
            other = await self.store.network(link.other_than(network_id))
            if other is None:  # networks are never deleted
                raise not_found("network", link.other_than(network_id))
            pair = link_rules.pair_key(*link.network_ids)
            await self.store.save_network_link(link, pair, link_rules.is_open(link), tx.session)
            await tx.publish("network.link_changed", link.link_id, NetworkLinkChanged(link=link))
            answer = link_view(link, network_id, other)
            await answered(tx.session, answer)
        return answer

    async def network_links(self, network_id: str) -> list[NetworkLinkView]:
        """Every link of the network (any status), newest proposal first."""
        links = await self.store.network_links(network_id)
        others = {link.other_than(network_id) for link in links}
        found = {d["_id"]: d for d in await self.store.networks_by_ids(sorted(others))}
        return [
            link_view(link, network_id, found[link.other_than(network_id)])
            for link in links
            if link.other_than(network_id) in found
        ]

    async def network_link(self, link_id: str, network_id: str) -> NetworkLinkView:
        """One link as one of its networks sees it; NOT_FOUND for any other network."""
        link = await self.store.network_link(link_id)
        if link is None or network_id not in link.network_ids:
            raise AppError(ErrorCode.NOT_FOUND, f"network link {link_id} not found", field="linkId")
        other = await self.store.network(link.other_than(network_id))
        if other is None:
            raise not_found("network", link.other_than(network_id))
        return link_view(link, network_id, other)

    # -- organizations -------------------------------------------------------------------------

    async def register_organization(
        self,
        data: domain.OrganizationInput,
        authorized_as_operator: bool,
        join_code: str | None,
        answered: Answered = no_answer,
    ) -> Answer:
        """A new organization and its first admin, whose token is shown once. The caller is
        the network's operator (checked by the gateway) or passes its join code."""
        network = await self.store.network(data.network_id)
        if network is None:
            raise not_found("network", data.network_id)
        if not authorized_as_operator and join_code != network["join_code"]:
            # Answered exactly like a missing network, so network ids cannot be probed.
            raise not_found("network", data.network_id)
        normalized = domain.normalized_name(data.name)
        duplicate = await self.store.find_duplicate_organization(
            data.network_id, normalized, data.admin.email
        )
        if duplicate is not None:
            raise conflict_with(duplicate["_id"])

        profile = domain.new_organization(data)
        admin = domain.new_member(data.admin.name, data.admin.email, domain.Role.ORG_ADMIN)
        token = new_token()
        answer = {
            "organization": profile.model_dump(mode="json"),
            "adminToken": token,
            "admin": admin.model_dump(mode="json"),
        }
        # a concurrent registration of the same name fails here (a unique index): CONFLICT
        async with self.outbox.transaction() as tx:
            await self.store.add_organization(profile, normalized, tx.session)
            await self.store.add_member(
                admin, data.network_id, profile.organization_id, token, tx.session
            )
            await tx.publish(
                "organization.registered",
                profile.organization_id,
                domain.contracts.OrganizationRegistered(
                    profile=profile, admin=admin, network_name=network["name"]
                ),
            )
            await answered(tx.session, answer)
        return answer

    async def _profile(self, organization_id: str) -> OrganizationProfile:
        found = await self.store.organization(organization_id)
        if found is None:
            raise not_found("organization", organization_id)
        return OrganizationProfile(**found)

    async def update_organization(
        self,
        organization_id: str,
        update: domain.OrganizationUpdate,
        answered: Answered = no_answer,
    ) -> Answer:
        """A partial update: the fields sent replace the stored ones; organization.updated
        carries the whole new profile."""
        current = await self._profile(organization_id)
        if current.archived:
            raise archived(organization_id)
        profile = domain.updated_organization(current, update)
        normalized = domain.normalized_name(profile.name)
        twin = await self.store.organization_named(current.network_id, normalized, organization_id)
        if twin is not None:
            raise conflict_with(twin["_id"])
        changes = {**profile.model_dump(), "normalized_name": normalized}
        event = domain.contracts.OrganizationUpdated(profile=profile)
        return await self._save_organization(current, profile, changes, event, answered)

    async def archive_organization(
        self, organization_id: str, answered: Answered = no_answer
    ) -> Answer:
        """Archived organizations leave listings and matching; archiving twice changes
        nothing (and writes no answer: a repeat answers the same anyway)."""
        current = await self._profile(organization_id)
        if current.archived:
            return {"organization": current.model_dump(mode="json")}
        profile = domain.archived_organization(current)
        changes = {"archived": True, "version": profile.version}
        event = domain.contracts.OrganizationArchived(profile=profile)
        return await self._save_organization(current, profile, changes, event, answered)

    async def _save_organization(
        self,
        current: OrganizationProfile,
        profile: OrganizationProfile,
        changes: dict[str, Any],
        event: OrganizationUpdated | OrganizationArchived,
        answered: Answered,
    ) -> Answer:
        """Writes a change to an organization still at `current`'s version, announced."""
        answer = {"organization": profile.model_dump(mode="json")}
        archived = isinstance(event, OrganizationArchived)
        kind = "organization.archived" if archived else "organization.updated"
        async with self.outbox.transaction() as tx:
            await self.store.update_organization(
                profile.organization_id, current.version, changes, tx.session
            )
            await tx.publish(kind, profile.organization_id, event)
            await answered(tx.session, answer)
        return answer

    # -- members -------------------------------------------------------------------------------

    async def add_member(
        self, organization_id: str, data: domain.MemberInput, answered: Answered = no_answer
    ) -> Answer:
        """A member (or another admin) of an organization; their token is shown once. A
        concurrent twin with the same email fails on a unique index (CONFLICT)."""
        organization = await self.store.organization(organization_id)
        if organization is None:
            raise not_found("organization", organization_id)
        if organization.get("archived"):
            raise archived(organization_id)
        network_id = organization["network_id"]
        if await self.store.member_by_email(network_id, data.email) is not None:
            raise email_taken()
        member = domain.new_member(data.name, data.email, domain.Role(data.role.value))
        token = new_token()
        answer = {"member": member.model_dump(mode="json"), "token": token}
        async with self.outbox.transaction() as tx:
            await self.store.add_member(member, network_id, organization_id, token, tx.session)
            await tx.publish(
                "member.joined",
                organization_id,
                domain.contracts.MemberJoined(
                    network_id=network_id, organization_id=organization_id, member=member
                ),
            )
            await answered(tx.session, answer)
        return answer

    async def remove_member(
        self,
        organization_id: str,
        member_id: str,
        removed_by: str,
        answered: Answered = no_answer,
    ) -> Answer:
        """Every token of the member stops working at once; the last admin stays."""
        async with self.outbox.transaction() as tx:
            found = await self.store.member(member_id, tx.session)
            if found is None or found["organization_id"] != organization_id:
                raise not_found("member", member_id)
            domain.check_removable(
                found["role"], await self.store.admins_in(organization_id, tx.session)
            )
            await self.store.remove_member(found, tx.session)
            member = MemberRef.model_validate(found)
            await tx.publish(
                "member.removed",
                organization_id,
                MemberRemoved(
                    network_id=found["network_id"],
                    organization_id=organization_id,
                    member=member,
                    removed_by=removed_by,
                ),
            )
            answer = {"member": member.model_dump(mode="json")}
            await answered(tx.session, answer)
        return answer

    # -- needs and surveys ---------------------------------------------------------------------

    async def report_need(
        self, data: domain.NeedInput, reported_by: str, answered: Answered = no_answer
    ) -> Answer:
        """A new need, or a known need for the same (area, focus area) strengthened. Raises
        StaleWrite (or a unique-index refusal) when a concurrent report of the same need won:
        the caller runs it again, and then it strengthens."""
        report = domain.report_of(data)
        if await self.store.network(data.network_id) is None:
            raise not_found("network", data.network_id)
        area_key, focus = report.key
        existing = await self.store.need_by_key(data.network_id, area_key, focus)
        async with self.outbox.transaction() as tx:
            if existing is None:
                need = domain.new_need(data.network_id, report, self.clock.now())
                await self.store.save_needs([need], [], tx.session, reported_by=reported_by)
                await tx.publish("need.reported", need.need_id, NeedReported(need=need))
            else:
                need = domain.strengthened(NeedProfile(**existing), report)
                await self.store.save_needs([], [(need, existing["version"])], tx.session)
                await tx.publish("need.updated", need.need_id, NeedUpdated(need=need))
            answer = {"need": need.model_dump(mode="json"), "strengthened": existing is not None}
            await answered(tx.session, answer)
        return answer

    async def parse_survey(
        self, network_id: str, csv: str, progress_every: int
    ) -> domain.ParsedSurvey:
        """Every row validated (off the event loop: a file can hold 200,000 rows)."""
        if await self.store.network(network_id) is None:
            raise not_found("network", network_id)

        def progress(rows: int) -> None:
            log.info("survey import for %s: %d rows validated", network_id, rows)

        parsed = await asyncio.to_thread(domain.parse_survey, csv, progress, progress_every)
        log.info(
            "survey import for %s: %d rows valid, %d rejected (sha256 %s)",
            network_id, len(parsed.rows), len(parsed.rejected), parsed.sha256[:12],
        )  # fmt: skip
        return parsed

    async def first_import(self, network_id: str, sha256: str) -> Answer | None:
        """The answer of the first import of this file into this network, if any."""
        first = await self.store.survey_import(network_id, sha256)
        return None if first is None else dict(first["answer"])

    async def import_survey(
        self, network_id: str, parsed: domain.ParsedSurvey, answered: Answered = no_answer
    ) -> Answer:
        """Good rows grouped by (area, focus area) create or strengthen needs in one bulk
        write with their events. The same file again changes nothing and answers the first
        answer; StaleWrite when a need changed meanwhile (the caller runs it again)."""
        if (first := await self.first_import(network_id, parsed.sha256)) is not None:
            return first
        reports = domain.need_reports(parsed.rows)
        known = await self.store.needs_by_keys(network_id, [r.key for r in reports])
        now = self.clock.now()
        created: list[NeedProfile] = []
        updated: list[tuple[NeedProfile, int]] = []
        for report in reports:
            existing = known.get(report.key)
            if existing is None:
                created.append(domain.new_need(network_id, report, now))
            else:
                updated.append(
                    (domain.strengthened(NeedProfile(**existing), report), existing["version"])
                )
        survey_id = new_id("srv")
        answer = {
            "surveyId": survey_id,
            "needsCreated": len(created),
            "needsStrengthened": len(updated),
            "rowsImported": len(parsed.rows),
            "rowsRejected": len(parsed.rejected),
            "rejectedRows": [
                {"row": r.row, "field": r.field, "message": r.message}
                for r in parsed.rejected[:MAX_REJECTED_LISTED]
            ],
        }
        async with self.outbox.transaction() as tx:
            await self.store.save_needs(
                created, updated, tx.session, reported_by=f"survey:{survey_id}"
            )
            await tx.publish_many(
                [("need.reported", n.need_id, NeedReported(need=n)) for n in created]
                + [("need.updated", n.need_id, NeedUpdated(need=n)) for n, _ in updated]
                + [
                    (
                        "survey.imported",
                        survey_id,
                        SurveyImported(
                            network_id=network_id,
                            survey_id=survey_id,
                            rows_imported=len(parsed.rows),
                            rows_rejected=len(parsed.rejected),
                            needs_created=len(created),
                            needs_strengthened=len(updated),
                        ),
                    )
                ]
            )
            await self.store.record_survey_import(
                network_id, parsed.sha256, survey_id, now, answer, tx.session
            )
            await answered(tx.session, answer)
        return answer

    # -- directories (Open Referral HSDS) ------------------------------------------------------

    async def parse_directory(self, network_id: str, file: str) -> hsds.ParsedDirectory:
        """Every row checked and mapped (off the event loop: a directory can be large)."""
        if await self.store.network(network_id) is None:
            raise not_found("network", network_id)
        parsed = await asyncio.to_thread(hsds.parse_directory, file)
        log.info(
            "directory import for %s: %d organizations read from %d rows, %d rows rejected "
            "(sha256 %s)",
            network_id, len(parsed.entries), parsed.rows_read, len(parsed.rejected),
            parsed.sha256[:12],
        )  # fmt: skip
        return parsed

    async def import_directory(
        self, network_id: str, parsed: hsds.ParsedDirectory, answered: Answered = no_answer
    ) -> Answer:
        """The directory's organizations registered, or updated where they changed, in one
        transaction with their events (organization.registered with a placeholder admin,
        organization.updated). An organization's identity is its HSDS id within the network,
        so importing the same directory again changes nothing. StaleWrite when one changed
        meanwhile (the caller runs it again)."""
        network = await self.store.network(network_id)
        if network is None:
            raise not_found("network", network_id)
        # One read of the network, not a query per id: a directory is most of its network.
        found = await self.store.network_organizations(network_id, with_archived=True)
        existing = {d.get("hsds_id") or d["_id"]: OrganizationProfile(**d) for d in found}
        names = {d["normalized_name"]: d["_id"] for d in found}
        plan = hsds.plan_import(network_id, network["time_zone"], parsed.entries, existing, names)
        hsds_of = {
            hsds.organization_id_for(network_id, e.hsds_id): e.hsds_id for e in parsed.entries
        }
        created = [
            (p, hsds_of[p.organization_id], directory_admin(p.organization_id))
            for p in plan.created
        ]
        rejected = sorted(parsed.rejected + plan.rejected, key=lambda r: (r.file, r.row))
        answer = {
            "importId": new_id("dir"),
            "organizationsCreated": len(plan.created),
            "organizationsUpdated": len(plan.updated),
            "organizationsUnchanged": len(plan.unchanged),
            "offers": sum(len(p.offers) for p in plan.created + [p for p, _ in plan.updated]),
            "rowsRead": parsed.rows_read,
            "rowsRejected": len(rejected),
            "rejectedRows": [
                {"file": r.file, "row": r.row, "field": r.field, "message": r.message}
                for r in rejected[:MAX_REJECTED_LISTED]
            ],
        }
        events: list[tuple[str, str, Payload]] = [
            (
                "organization.registered",
                p.organization_id,
                OrganizationRegistered(profile=p, admin=admin, network_name=network["name"]),
            )
            for p, _, admin in created
        ]
        events += [
            ("organization.updated", p.organization_id, OrganizationUpdated(profile=p))
            for p, _ in plan.updated
        ]
        async with self.outbox.transaction() as tx:
            await self.store.save_directory(created, plan.updated, tx.session)
            await tx.publish_many(events)
            await answered(tx.session, answer)
        return answer

    async def export_directory(self, network_id: str) -> Answer:
        """The network's organizations as an HSDS data package: a zip, as a data URL that
        importDirectory takes back. The same profiles make the same bytes in any network."""
        network = await self.store.network(network_id)
        if network is None:
            raise not_found("network", network_id)
        found = await self.store.network_organizations(network_id)
        pairs = [(OrganizationProfile(**d), d.get("hsds_id") or d["_id"]) for d in found]
        pairs.sort(key=lambda pair: pair[1])  # in HSDS id order: the same in every network
        exported = hsds.export_files(network["name"], pairs)
        data = await asyncio.to_thread(datapackage.zip_files, exported.files)
        return {
            "fileName": f"{network_id}-hsds.zip",
            "contentType": "application/zip",
            "dataUrl": datapackage.data_url(data),
            "organizations": len(pairs),
            "rows": exported.rows,
            "bytes": len(data),
        }


def linked_network(found: Document) -> LinkedNetwork:
    return LinkedNetwork(
        network_id=found["_id"],
        name=found["name"],
        region=found["region"],
        time_zone=found.get("time_zone", "UTC"),
    )


def link_view(link: NetworkLink, network_id: str, other: Document) -> NetworkLinkView:
    """The link as `network_id` sees it, with the other network's public face."""
    return NetworkLinkView(
        link_id=link.link_id,
        network_id=network_id,
        other_network=linked_network(other),
        incoming=link.recipient_network_id == network_id,
        status=link.status,
        note=link.note,
        proposed_at=link.proposed_at,
        accepted_at=link.accepted_at,
        ended_at=link.ended_at,
    )


def directory_admin(organization_id: str) -> MemberRef:
    """An imported organization's admin: a placeholder without a token (see hsds.admin_email)."""
    return MemberRef(
        member_id=f"mem_{organization_id.removeprefix('org_')}",
        name="Directory contact",
        email=hsds.admin_email(organization_id),
        role=domain.Role.ORG_ADMIN,
    )
