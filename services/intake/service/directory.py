"""Open Referral HSDS directories: imported (every row checked and mapped first; the
organizations registered, or updated where they changed, in one transaction with their
events) and exported as a data package that the import takes back."""

from __future__ import annotations

import asyncio
import logging
import time

from services.intake import domain
from services.intake.domain import datapackage, hsds
from services.intake.service.base import (
    MAX_REJECTED_LISTED,
    UseCases,
    again_if_raced,
    network_of,
)
from services.intake.service.unit_of_work import IntakeUnitOfWork
from shared.contracts import (
    MemberRef,
    OrganizationProfile,
    OrganizationRegistered,
    OrganizationUpdated,
    Payload,
)
from shared.contracts.intake import DirectoryExport, DirectoryImport, DirectoryRejectedRow
from shared.events import new_id

log = logging.getLogger(__name__)


class Directory(UseCases):
    async def parse_directory(
        self, network_id: str, file: str, uow: IntakeUnitOfWork
    ) -> hsds.ParsedDirectory:
        """Every row checked and mapped (off the event loop: a directory can be large)."""
        await network_of(uow, network_id)
        parsed = await asyncio.to_thread(hsds.parse_directory, file)
        log.info(
            "directory import for %s: %d organizations read from %d rows, %d rows rejected "
            "(sha256 %s)",
            network_id, len(parsed.entries), parsed.rows_read, len(parsed.rejected),
            parsed.sha256[:12],
        )  # fmt: skip
        return parsed

    async def import_directory(
        self, network_id: str, parsed: hsds.ParsedDirectory, uow: IntakeUnitOfWork
    ) -> DirectoryImport:
        """The directory's organizations registered, or updated where they changed, in one
        transaction with their events (organization.registered with a placeholder admin,
        organization.updated). An organization's identity is its HSDS id within the network,
        so importing the same directory again changes nothing. Run again when one changed
        meanwhile, or a concurrent import registered it first: the run after it finds those
        organizations and leaves them as they are."""
        started = time.monotonic()
        answer = await again_if_raced(lambda: self._import_directory(network_id, parsed, uow))
        log.info(
            "directory import for %s done in %.2f s: %d organizations created, %d updated, "
            "%d unchanged",
            network_id, time.monotonic() - started, answer.organizations_created,
            answer.organizations_updated, answer.organizations_unchanged,
        )  # fmt: skip
        return answer

    async def _import_directory(
        self, network_id: str, parsed: hsds.ParsedDirectory, uow: IntakeUnitOfWork
    ) -> DirectoryImport:
        network = await network_of(uow, network_id)
        # One read of the network, not a query per id: a directory is most of its network.
        found = await uow.organizations.of_network(network_id, with_archived=True)
        existing = {d.get("hsds_id") or d["_id"]: OrganizationProfile(**d) for d in found}
        names = {d["normalized_name"]: d["_id"] for d in found}
        plan = hsds.plan_import(network_id, network["time_zone"], parsed.entries, existing, names)
        hsds_of = {
            hsds.organization_id_for(network_id, e.hsds_id): e.hsds_id for e in parsed.entries
        }
        created = [(p, directory_admin(p.organization_id)) for p in plan.created]
        rejected = sorted(parsed.rejected + plan.rejected, key=lambda r: (r.file, r.row))
        answer = DirectoryImport(
            import_id=new_id("dir"),
            organizations_created=len(plan.created),
            organizations_updated=len(plan.updated),
            organizations_unchanged=len(plan.unchanged),
            offers=sum(len(p.offers) for p in plan.created + [p for p, _ in plan.updated]),
            rows_read=parsed.rows_read,
            rows_rejected=len(rejected),
            rejected_rows=[
                DirectoryRejectedRow(file=r.file, row=r.row, field=r.field, message=r.message)
                for r in rejected[:MAX_REJECTED_LISTED]
            ],
        )
        events: list[tuple[Payload, str]] = [
            (
                OrganizationRegistered(profile=p, admin=admin, network_name=network["name"]),
                p.organization_id,
            )
            for p, admin in created
        ]
        events += [(OrganizationUpdated(profile=p), p.organization_id) for p, _ in plan.updated]
        async with uow:
            await uow.organizations.add_imported(
                [(p, hsds_of[p.organization_id]) for p in plan.created]
            )
            await uow.members.add_imported([(m, network_id, p.organization_id) for p, m in created])
            await uow.organizations.replace_many(plan.updated)
            await uow.publish_many(events)
            await uow.answer(answer)
        return answer

    async def export_directory(self, network_id: str, uow: IntakeUnitOfWork) -> DirectoryExport:
        """The network's organizations as an HSDS data package: a zip, as a data URL that
        importDirectory takes back. The same profiles make the same bytes in any network."""
        network = await network_of(uow, network_id)
        found = await uow.organizations.of_network(network_id)
        pairs = [(OrganizationProfile(**d), d.get("hsds_id") or d["_id"]) for d in found]
        pairs.sort(key=lambda pair: pair[1])  # in HSDS id order: the same in every network
        exported = hsds.export_files(network["name"], pairs)
        data = await asyncio.to_thread(datapackage.zip_files, exported.files)
        return DirectoryExport(
            file_name=f"{network_id}-hsds.zip",
            content_type="application/zip",
            data_url=datapackage.data_url(data),
            organizations=len(pairs),
            rows=exported.rows,
            bytes=len(data),
        )


def directory_admin(organization_id: str) -> MemberRef:
    """An imported organization's admin: a placeholder without a token (see hsds.admin_email)."""
    return MemberRef(
        member_id=f"mem_{organization_id.removeprefix('org_')}",
        name="Directory contact",
        email=hsds.admin_email(organization_id),
        role=domain.Role.ORG_ADMIN,
    )
