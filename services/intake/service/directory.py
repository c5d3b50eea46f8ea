"""Open Referral HSDS directories: imported (every row checked and mapped first; the
organizations registered, or updated where they changed, in one transaction with their
events) and exported as a data package that the import takes back."""

from __future__ import annotations

import asyncio
import logging

from services.intake import domain
from services.intake.domain import datapackage, hsds
from services.intake.service.base import MAX_REJECTED_LISTED, Answer, UseCases
from shared.contracts import (
    MemberRef,
    OrganizationProfile,
    OrganizationRegistered,
    OrganizationUpdated,
    Payload,
)
from shared.events import new_id
from shared.idempotency import Answered, no_answer

log = logging.getLogger(__name__)


class Directory(UseCases):
    async def parse_directory(self, network_id: str, file: str) -> hsds.ParsedDirectory:
        """Every row checked and mapped (off the event loop: a directory can be large)."""
        await self._network(network_id)
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
        network = await self._network(network_id)
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
        network = await self._network(network_id)
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


def directory_admin(organization_id: str) -> MemberRef:
    """An imported organization's admin: a placeholder without a token (see hsds.admin_email)."""
    return MemberRef(
        member_id=f"mem_{organization_id.removeprefix('org_')}",
        name="Directory contact",
        email=hsds.admin_email(organization_id),
        role=domain.Role.ORG_ADMIN,
    )
