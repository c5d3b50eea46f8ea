"""Open Referral HSDS directories (served by intake): the operator imports a 1.x data package
as organization profiles, and exports the network's organizations as one, which the import
reads back unchanged."""

from __future__ import annotations

import strawberry

from services.gateway.auth import require_operator
from services.gateway.schema.context import Info
from services.gateway.schema.intake_mutations import operator_import
from services.gateway.schema.mapping import build, request
from shared.contracts.requests import intake as rq


@strawberry.type
class DirectoryRejectedRow:
    file: str = strawberry.field(
        description="The package's file (`organizations.csv`), or `datapackage.json "
        "(<resource>)` for inline data."
    )
    row: int = strawberry.field(
        description="As a spreadsheet numbers it: the header is row 1 (inline data: the "
        "position in `data`, from 1)."
    )
    field: str
    message: str


@strawberry.type
class ImportDirectoryPayload:
    import_id: strawberry.ID
    organizations_created: int
    organizations_updated: int
    organizations_unchanged: int = strawberry.field(
        description="Already in the network as the package has them (a re-import)."
    )
    offers: int = strawberry.field(description="Offers of the organizations created or updated.")
    rows_read: int
    rows_rejected: int
    rejected_rows: list[DirectoryRejectedRow] = strawberry.field(description="The first 1,000.")


@strawberry.type
class DirectoryExport:
    file_name: str
    content_type: str = strawberry.field(description="`application/zip`.")
    data_url: str = strawberry.field(
        description="The zip as a `data:application/zip;base64,...` URL, which "
        "`importDirectory(file:)` takes as it is."
    )
    organizations: int
    rows: int = strawberry.field(description="Data rows in the package's CSV files.")
    bytes: int = strawberry.field(description="The size of the zip.")


@strawberry.type
class DirectoryQuery:
    @strawberry.field(
        description="The operator exports the network's organizations (not archived) as an "
        "Open Referral HSDS 1.1 data package: a zip of `datapackage.json`, organizations.csv, "
        "services.csv (one per offer, its kind a `Commonweave resource kinds` taxonomy term), "
        "locations.csv (the region), taxonomy.csv and services_taxonomy.csv (focus areas as "
        "`Commonweave focus areas` terms). Imported organizations keep their HSDS ids."
    )
    async def export_directory(self, info: Info, network_id: strawberry.ID) -> DirectoryExport:
        caller = await info.context.caller()
        require_operator(caller, network_id)
        return build(
            DirectoryExport, await info.context.clients.intake.export_directory(network_id)
        )


@strawberry.type
class DirectoryMutation:
    @strawberry.mutation(
        description="The operator imports an Open Referral HSDS 1.x data package: a zip of "
        "its CSV files (with or without `datapackage.json`) as a "
        "`data:application/zip;base64,...` URL, or a `datapackage.json` with inline data (as "
        "JSON text or a data URL). Organizations become profiles (description: mission), "
        "active services typed offers, taxonomy terms focus areas through the vocabulary "
        "(without any: the areas their words name), locations the region. Bad rows are "
        "listed by file and row and the rest imported, in one transaction. An organization's "
        "identity is its HSDS id within the network: importing again updates what changed "
        "and nothing else. Imported organizations are announced as registered, with a "
        "placeholder admin (no token, no email)."
    )
    async def import_directory(
        self, info: Info, network_id: strawberry.ID, file: str
    ) -> ImportDirectoryPayload:
        sending = await operator_import(info, network_id)
        directory = request(rq.ImportDirectory, network_id=network_id, file=file)
        result = await info.context.clients.intake.import_directory(directory, **sending)
        return build(ImportDirectoryPayload, result)


QUERIES: list[type] = [DirectoryQuery]
MUTATIONS: list[type] = [DirectoryMutation]
