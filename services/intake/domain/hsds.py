"""Open Referral HSDS 1.x directories in and out: what a data package's organizations,
services, locations and taxonomy become in organization profiles, and the package a network's
profiles are written back as. Pure: the package container is `datapackage.py`'s.

In: an `organization` row is a profile (its `description` the mission); each active service of
it a typed offer (the kind from a `Commonweave resource kinds` taxonomy term when it has one,
else read from its words), described as "name — description"; the taxonomy terms linked to its
services (`service_taxonomy`, or the legacy `services.taxonomy_ids`) its focus areas through
the vocabulary (unknown terms stay free tags); its locations its region (a location's city and
state when it has a physical address, else its name; several joined by "; "). An inactive
service offers nothing now, but its terms still count. An organization whose services have
no taxonomy terms at all takes the focus areas its description and services name.

Out: the same, so that reading an export back gives the same profiles: one service per offer,
linked to its kind and to the organization's focus areas, and one location per part of the
region."""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from dataclasses import dataclass, field

from services.intake.domain.datapackage import (
    DESCRIPTOR,
    Package,
    RejectedRow,
    Row,
    csv_text,
    read_package,
)
from services.intake.domain.profiles import normalized_name, with_focus_codes
from services.intake.domain.vocabulary import label_of, mentioned_codes
from shared.contracts.intake import OrganizationProfile, Resource, ResourceKind
from shared.errors import bad_input

KIND_VOCABULARY = "Commonweave resource kinds"
FOCUS_VOCABULARY = "Commonweave focus areas"
SEPARATOR = " — "  # between a service's name and description in an offer's description
PLACES = "; "  # between the places of a region
INACTIVE = {"inactive", "defunct"}
MAX_NAME, MAX_MISSION, MAX_OFFER, MAX_REGION, MAX_TERM = 200, 5000, 500, 200, 80
MAX_OFFERS, MAX_TERMS = 30, 20
IDS = uuid.UUID("6f1d7c1e-4b7a-5c8e-9d2f-0a1b2c3d4e5f")  # the namespace of exported ids

# The words that tell a service's kind, first match wins (so the specific come first).
KIND_WORDS: tuple[tuple[ResourceKind, str], ...] = (
    (ResourceKind.COUNSELING, r"counsel|therap|mental health|support group|al-anon|addiction"),
    (ResourceKind.MENTORING, r"mentor|tutor"),
    (ResourceKind.TRANSPORT, r"transport|bus\b|buses|rides?\b|shuttle"),
    (ResourceKind.FUNDING, r"grants?\b|funding|scholarship|financial assistance"),
    (ResourceKind.MATERIALS, r"food|meals?\b|grocer|pantry|care packages?|cloth|supplies|lunch"),
    (ResourceKind.VENUE, r"venue|spaces?\b|rooms?\b|shower|laundry|facilit"),
    (ResourceKind.EXPERTISE, r"training|legal|advice|courses?\b|classes|lessons|workshop"),
    (ResourceKind.OUTREACH, r"helpline|hotline|refer|outreach|awareness|information"),
    (ResourceKind.VOLUNTEERS, r"volunteer"),
)
KINDS = {kind.value for kind in ResourceKind}
FILES = {
    "organization": "organizations.csv",
    "service": "services.csv",
    "location": "locations.csv",
    "taxonomy": "taxonomy.csv",
    "service_taxonomy": "services_taxonomy.csv",
}
COLUMNS = {
    "organization": "id,name,alternate_name,description,email,url,tax_status,tax_id,"
    "year_incorporated,legal_status",
    "service": "id,organization_id,program_id,name,alternate_name,description,url,email,status,"
    "interpretation_services,application_process,wait_time,fees,accreditations,licenses,"
    "taxonomy_ids",
    "location": "id,organization_id,name,alternate_name,description,transportation,latitude,"
    "longitude",
    "taxonomy": "id,name,parent_id,parent_name,vocabulary",
    "service_taxonomy": "id,service_id,taxonomy_id,taxonomy_detail",
}


@dataclass(frozen=True)
class DirectoryEntry:
    """One organization of the package, as the profile fields an import sets."""

    hsds_id: str
    row: Row
    name: str
    mission: str
    focus_terms: tuple[str, ...]
    offers: tuple[Resource, ...]
    region: str

    def fields(self) -> dict[str, object]:
        """name, mission, focus_areas, free_tags, offers and region."""
        return with_focus_codes(
            {
                "name": self.name,
                "mission": self.mission,
                "focus_areas": list(self.focus_terms),
                "offers": list(self.offers),
                "region": self.region,
            }
        )


@dataclass
class ParsedDirectory:
    sha256: str
    entries: list[DirectoryEntry] = field(default_factory=list)
    rejected: list[RejectedRow] = field(default_factory=list)
    rows_read: int = 0


@dataclass
class _Organization:
    row: Row
    terms: list[str] = field(default_factory=list)
    offers: list[Resource] = field(default_factory=list)
    places: list[str] = field(default_factory=list)
    words: list[str] = field(default_factory=list)  # of its services

    def focus_terms(self) -> tuple[str, ...]:
        """Its services' taxonomy terms; without any, the focus areas its words name."""
        if self.terms:
            return tuple(self.terms[:MAX_TERMS])
        return tuple(mentioned_codes(" ".join([self.row["description"], *self.words])))


@dataclass
class _Service:
    row: Row
    organization: _Organization
    term_ids: list[str] = field(default_factory=list)


def cut(text: str, limit: int) -> str:
    return text[:limit].strip()


def infer_kind(text: str) -> ResourceKind:
    lowered = text.lower()
    for kind, words in KIND_WORDS:
        if re.search(rf"\b(?:{words})", lowered):
            return kind
    return ResourceKind.OTHER


def offer_description(name: str, description: str) -> str:
    return cut(f"{name}{SEPARATOR}{description}" if description else name, MAX_OFFER)


def parse_directory(text: str) -> ParsedDirectory:
    """Every row of the five resources (and locations' addresses) checked and mapped; raises
    BAD_USER_INPUT (`file`) for problems of the whole package."""
    package = read_package(text)
    if not package.rows("organization"):
        raise bad_input("file", "the package has no organization rows (organizations.csv)")
    parsed = ParsedDirectory(package.sha256, rejected=package.rejected)
    parsed.rows_read = len(package.rejected) + sum(len(t) for t in package.tables.values())
    organizations = _organizations(package, parsed.rejected)
    terms = _terms(package, parsed.rejected)
    services = _services(package, organizations, terms, parsed.rejected)
    _link_terms(package, services, terms, parsed.rejected)
    for service in services.values():
        _add_offer(service, terms, parsed.rejected)
    _add_places(package, organizations, services, parsed.rejected)
    for hsds_id, o in organizations.items():
        parsed.entries.append(
            DirectoryEntry(
                hsds_id=hsds_id,
                row=o.row,
                name=o.row["name"],
                mission=cut(o.row["description"], MAX_MISSION),
                focus_terms=o.focus_terms(),
                offers=tuple(o.offers),
                region=_region(o.places),
            )
        )
    parsed.rejected.sort(key=lambda r: (r.file, r.row))
    return parsed


def _organizations(package: Package, rejected: list[RejectedRow]) -> dict[str, _Organization]:
    found: dict[str, _Organization] = {}
    names: dict[str, Row] = {}
    for row in package.rows("organization"):
        problem = _required(row, "id", "name")
        if problem is None and len(row["name"]) > MAX_NAME:
            problem = row.rejected("name", f"name is longer than {MAX_NAME} characters")
        if problem is None and row["id"] in found:
            first = found[row["id"]].row.row
            problem = row.rejected("id", f"id {row['id']} is also the id of row {first}")
        if problem is None and (twin := names.get(normalized_name(row["name"]))) is not None:
            problem = row.rejected("name", f"the same name as row {twin.row} ({twin['name']})")
        if problem is not None:
            rejected.append(problem)
            continue
        found[row["id"]] = _Organization(row)
        names[normalized_name(row["name"])] = row
    return found


def _required(row: Row, *names: str) -> RejectedRow | None:
    for name in names:
        if not row[name]:
            return row.rejected(name, f"{name} is empty")
    return None


def _terms(package: Package, rejected: list[RejectedRow]) -> dict[str, Row]:
    terms: dict[str, Row] = {}
    for row in package.rows("taxonomy"):
        problem = _required(row, "id", "name")
        if problem is None and row["id"] in terms:
            problem = row.rejected("id", f"id {row['id']} is also row {terms[row['id']].row}")
        if problem is not None:
            rejected.append(problem)
            continue
        terms[row["id"]] = row
    return terms


def _unknown(row: Row, column: str, what: str) -> RejectedRow:
    return row.rejected(column, f"no {what} with id {row[column]} (or its row was rejected)")


def _services(
    package: Package,
    organizations: dict[str, _Organization],
    terms: dict[str, Row],
    rejected: list[RejectedRow],
) -> dict[str, _Service]:
    services: dict[str, _Service] = {}
    for row in package.rows("service"):
        problem = _required(row, "id", "organization_id", "name")
        if problem is None and row["organization_id"] not in organizations:
            problem = _unknown(row, "organization_id", "organization")
        if problem is None and row["id"] in services:
            problem = row.rejected(
                "id", f"id {row['id']} is also row {services[row['id']].row.row}"
            )
        if problem is not None:
            rejected.append(problem)
            continue
        legacy = [t.strip() for t in row["taxonomy_ids"].split(",") if t.strip() in terms]
        services[row["id"]] = _Service(row, organizations[row["organization_id"]], legacy)
    return services


def _link_terms(
    package: Package,
    services: dict[str, _Service],
    terms: dict[str, Row],
    rejected: list[RejectedRow],
) -> None:
    for row in package.rows("service_taxonomy"):
        problem = _required(row, "service_id", "taxonomy_id")
        if problem is None and row["service_id"] not in services:
            problem = _unknown(row, "service_id", "service")
        if problem is None and row["taxonomy_id"] not in terms:
            problem = _unknown(row, "taxonomy_id", "taxonomy term")
        if problem is not None:
            rejected.append(problem)
            continue
        linked = services[row["service_id"]].term_ids
        if row["taxonomy_id"] not in linked:
            linked.append(row["taxonomy_id"])


def _add_offer(service: _Service, terms: dict[str, Row], rejected: list[RejectedRow]) -> None:
    """The service's focus terms go to its organization; an active one is an offer too."""
    row, organization = service.row, service.organization
    kind: ResourceKind | None = None
    names = []
    for term in (terms[t] for t in service.term_ids):
        if term["vocabulary"] == KIND_VOCABULARY and term["name"] in KINDS:
            kind = kind or ResourceKind(term["name"])
            continue
        names.append(term["name"])
        if (name := cut(term["name"], MAX_TERM)) not in organization.terms:
            organization.terms.append(name)
    organization.words += [row["name"], row["description"]]
    if row["status"].lower() in INACTIVE:
        return
    if len(organization.offers) >= MAX_OFFERS:
        message = f"an organization offers at most {MAX_OFFERS} services; this is one more"
        rejected.append(row.rejected("organization_id", message))
        return
    words = " ".join([row["name"], row["description"], *names])
    organization.offers.append(
        Resource(
            kind=(kind or infer_kind(words)).value,
            description=offer_description(row["name"], row["description"]),
        )
    )


def _add_places(
    package: Package,
    organizations: dict[str, _Organization],
    services: dict[str, _Service],
    rejected: list[RejectedRow],
) -> None:
    """Each location's place on its organization (named, or found through a service at it)."""
    addresses: dict[str, Row] = {}
    for row in package.rows("physical_address"):
        addresses.setdefault(row["location_id"], row)
    served: dict[str, _Organization] = {}
    for row in package.rows("service_at_location"):
        if row["service_id"] in services:
            served.setdefault(row["location_id"], services[row["service_id"]].organization)
    for row in package.rows("location"):
        owner = organizations.get(row["organization_id"]) or served.get(row["id"])
        address = addresses.get(row["id"])
        place = row["name"]
        if address is not None and address["city"]:
            place = ", ".join(p for p in (address["city"], address["state_province"]) if p)
        if owner is None:
            what = "organization" if row["organization_id"] else "organization (nor a service)"
            rejected.append(_unknown(row, "organization_id", what))
        elif not place:
            rejected.append(row.rejected("name", "name is empty and there is no address"))
        elif place not in owner.places:
            owner.places.append(place)


def _region(places: list[str]) -> str:
    region = ""
    for place in places:
        joined = f"{region}{PLACES}{place}" if region else place
        if len(joined) > MAX_REGION:
            return region or cut(place, MAX_REGION)
        region = joined
    return region


# -- identity and the import plan --------------------------------------------------------------


def organization_id_for(network_id: str, hsds_id: str) -> str:
    """The stable id of a directory organization in a network: the same file imported again
    finds the same profiles."""
    digest = hashlib.sha256(f"{network_id}\n{hsds_id}".encode()).hexdigest()[:32]
    return f"org_{digest}"


def admin_email(organization_id: str) -> str:
    """The placeholder admin of an imported organization: every organization has an admin
    (notifications address its people through one), but a directory's contacts did not sign
    up, so nothing is ever sent to them (`.invalid` is reserved, RFC 2606)."""
    return f"{organization_id}@directory.invalid"


@dataclass
class DirectoryPlan:
    created: list[OrganizationProfile] = field(default_factory=list)
    updated: list[tuple[OrganizationProfile, int]] = field(default_factory=list)
    unchanged: list[OrganizationProfile] = field(default_factory=list)
    rejected: list[RejectedRow] = field(default_factory=list)


def plan_import(
    network_id: str,
    time_zone: str,
    entries: list[DirectoryEntry],
    existing: dict[str, OrganizationProfile],
    names: dict[str, str],
) -> DirectoryPlan:
    """What importing `entries` does: `existing` holds the profiles already in the network
    by HSDS id, `names` the ids of the network's organizations by normalized name."""
    plan = DirectoryPlan()
    for entry in entries:
        current = existing.get(entry.hsds_id)
        target = (
            current.organization_id if current else organization_id_for(network_id, entry.hsds_id)
        )
        holder = names.get(normalized_name(entry.name))
        if holder is not None and holder != target:
            message = f"an organization with this name is already registered as {holder}"
            plan.rejected.append(entry.row.rejected("name", message))
            continue
        fields = entry.fields()
        if current is None:
            plan.created.append(
                OrganizationProfile(
                    organization_id=target,
                    network_id=network_id,
                    version=1,
                    time_zone=time_zone,
                    **fields,
                )
            )
        elif current.archived:
            message = f"organization {target} is archived in this network"
            plan.rejected.append(entry.row.rejected("id", message))
        elif all(getattr(current, k) == v for k, v in fields.items()):
            plan.unchanged.append(current)
        else:
            changed = {**current.model_dump(), **fields, "version": current.version + 1}
            plan.updated.append((OrganizationProfile(**changed), current.version))
    return plan


# -- out ---------------------------------------------------------------------------------------


def _id(*parts: str) -> str:
    return str(uuid.uuid5(IDS, "/".join(parts)))


def _term(vocabulary: str, name: str) -> dict[str, str]:
    return {"id": _id(vocabulary, name), "name": name, "vocabulary": vocabulary}


@dataclass(frozen=True)
class ExportedDirectory:
    files: dict[str, str]  # path: text, datapackage.json first
    rows: int  # data rows in the CSV files


def export_files(
    title: str, organizations: list[tuple[OrganizationProfile, str]]
) -> ExportedDirectory:
    """The package of `(profile, HSDS id)` pairs: `datapackage.json` and five CSV files."""
    tables: dict[str, list[dict[str, str]]] = {name: [] for name in FILES}
    terms: dict[str, dict[str, str]] = {}
    for profile, hsds_id in organizations:
        tables["organization"].append(
            {"id": hsds_id, "name": profile.name, "description": profile.mission}
        )
        focus = [_term(FOCUS_VOCABULARY, label_of(c)) for c in profile.focus_areas]
        focus += [_term(FOCUS_VOCABULARY, tag) for tag in profile.free_tags]
        services = [(offer, "active") for offer in profile.offers]
        if focus and not services:  # the focus areas need a service to be linked to
            note = Resource(kind="other", description=f"{profile.name} (no current offer)")
            services.append((note, "inactive"))
        for index, (offer, status) in enumerate(services):
            service_id = _id(hsds_id, "service", str(index))
            name, _, description = offer.description.partition(SEPARATOR)
            kind = ResourceKind(offer.kind)
            tables["service"].append(
                {
                    "id": service_id,
                    "organization_id": hsds_id,
                    "name": name or kind.value.capitalize(),
                    "description": description,
                    "status": status,
                }
            )
            linked = [_term(KIND_VOCABULARY, kind.value)] if status == "active" else []
            for term in linked + focus:
                terms.setdefault(term["id"], term)
                tables["service_taxonomy"].append(
                    {
                        "id": _id(service_id, "taxonomy", term["id"]),
                        "service_id": service_id,
                        "taxonomy_id": term["id"],
                    }
                )
        for index, place in enumerate(p for p in profile.region.split(PLACES) if p):
            tables["location"].append(
                {
                    "id": _id(hsds_id, "location", str(index)),
                    "organization_id": hsds_id,
                    "name": place,
                }
            )
    tables["taxonomy"] = list(terms.values())
    files = {DESCRIPTOR: json.dumps(descriptor(title), indent=2) + "\n"}
    for name, path in FILES.items():
        files[path] = csv_text(COLUMNS[name].split(","), tables[name])
    return ExportedDirectory(files, sum(len(rows) for rows in tables.values()))


def descriptor(title: str) -> dict[str, object]:
    return {
        "profile": "tabular-data-package",
        "name": "human_services_data",
        "title": title,
        "description": "Organizations of a Commonweave network as Open Referral HSDS 1.1.",
        "resources": [
            {
                "name": name,
                "path": FILES[name],
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "schema": {
                    "fields": [{"name": c, "type": "string"} for c in COLUMNS[name].split(",")]
                },
            }
            for name in FILES
        ],
    }
