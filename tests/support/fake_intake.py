"""Intake's unit of work over dicts: the repositories of services/intake/service/unit_of_work.py
with the unique indexes and version checks of services/intake/store/, in memory; the documents
are built by the store's own functions."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from services.intake.domain.profiles import normalized_name
from services.intake.service.unit_of_work import (
    IntakeUnitOfWork,
    LinkRepository,
    MemberRepository,
    NeedRepository,
    NetworkRepository,
    OrganizationRepository,
    SessionRepository,
    StaleWrite,
    SurveyImportRepository,
)
from services.intake.store.needs import need_doc, survey_import_doc
from services.intake.store.networks import link_doc, network_doc
from services.intake.store.organizations import member_doc, organization_doc, token_doc
from services.intake.store.sessions import SESSION, membership, operatorship, session_doc
from services.intake.store.sessions import link_doc as link_doc_of_nonce
from services.intake.tokens import token_hash
from shared.contracts import MemberRef, NeedProfile, NetworkLink, OrganizationProfile
from shared.errors import AppError, ErrorCode
from shared.mongo import Document
from tests.support.fake_uow import FakeRepository, FakeUnitOfWork


class FakeNetworks(FakeRepository, NetworkRepository):
    async def get(self, network_id: str) -> Document | None:
        return self._get(network_id)

    async def by_ids(self, ids: list[str]) -> list[Document]:
        return [d for d in self._all() if d["_id"] in ids]

    async def add(self, network_id: str, fields: Document, join_code: str, at: datetime) -> None:
        self._insert(network_doc(network_id, fields, join_code, at), "join_code")

    async def set_join_code(self, network_id: str, join_code: str) -> None:
        self._uow.writing()
        self._rows[network_id]["join_code"] = join_code


class FakeOrganizations(FakeRepository, OrganizationRepository):
    async def get(self, organization_id: str) -> Document | None:
        return self._get(organization_id)

    async def by_ids(self, ids: list[str]) -> list[Document]:
        return [d for d in self._all() if d["_id"] in ids]

    async def named(
        self, network_id: str, normalized: str, other_than: str | None = None
    ) -> Document | None:
        return next(
            (
                d
                for d in self._all()
                if (d["network_id"], d["normalized_name"]) == (network_id, normalized)
                and d["_id"] != other_than
            ),
            None,
        )

    async def add(self, profile: OrganizationProfile, normalized: str) -> None:
        doc = {**organization_doc(profile), "normalized_name": normalized}
        self._insert(doc, "network_id", "normalized_name")

    async def add_imported(self, created: list[tuple[OrganizationProfile, str]]) -> None:
        for profile, hsds_id in created:
            self._insert(
                organization_doc(profile, hsds_id=hsds_id), "network_id", "normalized_name"
            )

    async def update(self, organization_id: str, version: int, changes: dict[str, Any]) -> None:
        self._uow.writing()
        found = self._rows.get(organization_id)
        if found is None or found["version"] != version:
            raise AppError(
                ErrorCode.CONFLICT, "the organization changed meanwhile; read it and retry"
            )
        found.update(changes)

    async def replace_many(self, updated: list[tuple[OrganizationProfile, int]]) -> None:
        self._uow.writing()
        for profile, version in updated:
            found = self._rows.get(profile.organization_id)
            if found is None or found["version"] != version:
                raise StaleWrite("an organization changed while the directory was imported")
            found.update(profile.model_dump(), normalized_name=normalized_name(profile.name))

    async def page(
        self,
        network_id: str,
        *,
        focus_code: str | None,
        free_tag: str | None,
        resource_kind: str | None,
        search: str | None,
        first: int,
        after: str | None,
    ) -> list[Document]:
        def wanted(d: Document) -> bool:
            text = f"{d['name']}\n{d['mission']}".lower()
            return (
                d["network_id"] == network_id
                and not d["archived"]
                and (not focus_code or focus_code in d["focus_areas"])
                and (not free_tag or free_tag in d["free_tags"])
                and (not resource_kind or any(o["kind"] == resource_kind for o in d["offers"]))
                and (not search or search.lower() in text)
                and (not after or d["_id"] > after)
            )

        return [d for d in self._all() if wanted(d)][: first + 1]

    async def of_network(self, network_id: str, *, with_archived: bool = False) -> list[Document]:
        return [
            d
            for d in self._all()
            if d["network_id"] == network_id and (with_archived or not d["archived"])
        ]


class FakeMembers(FakeRepository, MemberRepository):
    def __init__(self, uow: FakeUnitOfWork) -> None:
        super().__init__(uow, "members")
        self._tokens = uow.tables["tokens"]
        self._organizations = uow.tables["organizations"]

    async def get(self, member_id: str) -> Document | None:
        return self._get(member_id)

    async def by_email(self, network_id: str, email: str) -> Document | None:
        return next(
            (
                d
                for d in self._all()
                if d["network_id"] == network_id and d["email"] == email.lower()
            ),
            None,
        )

    async def of_organization(self, organization_id: str) -> list[Document]:
        mine = [d for d in self._all() if d["organization_id"] == organization_id]
        return sorted(mine, key=lambda d: str(d["name"]))

    async def add(
        self, member: MemberRef, network_id: str, organization_id: str, token: str | None
    ) -> None:
        await self.add_imported([(member, network_id, organization_id)])
        if token is not None:
            await self.add_token(token, member.role, network_id, member.member_id, organization_id)

    async def add_imported(self, members: list[tuple[MemberRef, str, str]]) -> None:
        for member, network_id, organization_id in members:
            self._insert(member_doc(member, network_id, organization_id), "network_id", "email")

    async def add_token(
        self, token: str, role: str, network_id: str, member_id: str, organization_id: str | None
    ) -> None:
        self._uow.writing()
        self._tokens[token_hash(token)] = token_doc(
            token, role, network_id, member_id, organization_id
        )

    async def token_holder(self, hashed: str) -> Document | None:
        found = self._tokens.get(hashed)
        return None if found is None or found["revoked"] else dict(found)

    async def admins_in(self, organization_id: str) -> int:
        return sum(
            1
            for d in self._rows.values()
            if d["organization_id"] == organization_id and d["role"] == "ORG_ADMIN"
        )

    async def remove(self, member: Document) -> None:
        self._uow.writing()
        del self._rows[member["_id"]]
        for token in self._tokens.values():
            if token["member_id"] == member["_id"]:
                token["revoked"] = True
        organization = self._organizations[member["organization_id"]]
        organization["member_writes"] = organization.get("member_writes", 0) + 1


class FakeNeeds(FakeRepository, NeedRepository):
    async def get(self, need_id: str) -> Document | None:
        return self._get(need_id)

    async def by_keys(
        self, network_id: str, keys: list[tuple[str, str]]
    ) -> dict[tuple[str, str], Document]:
        found = {
            (d["area_key"], d["focus_area"]): d
            for d in self._all()
            if d["network_id"] == network_id
        }
        return {key: found[key] for key in keys if key in found}

    async def page(
        self,
        network_id: str,
        *,
        focus_area: str | None,
        area_key: str | None,
        first: int,
        after: str | None,
    ) -> list[Document]:
        return [
            d
            for d in self._all()
            if d["network_id"] == network_id
            and (not focus_area or d["focus_area"] == focus_area)
            and (not area_key or d["area_key"] == area_key)
            and (not after or d["_id"] > after)
        ][: first + 1]

    async def save(
        self, created: list[NeedProfile], updated: list[NeedProfile], reported_by: str = ""
    ) -> None:
        for need in created:
            self._insert(
                need_doc(need, reported_by=reported_by), "network_id", "area_key", "focus_area"
            )
        for need in updated:
            found = self._rows.get(need.need_id)
            if found is None:
                raise StaleWrite("a need read in this transaction is gone")
            found.update(need_doc(need))


class FakeSurveyImports(FakeRepository, SurveyImportRepository):
    async def get(self, network_id: str, sha256: str) -> Document | None:
        return self._get(f"{network_id}:{sha256}")

    async def add(
        self, network_id: str, sha256: str, survey_id: str, at: datetime, answer: Document
    ) -> None:
        self._insert(survey_import_doc(network_id, sha256, survey_id, at, answer))


class FakeLinks(FakeRepository, LinkRepository):
    def __init__(self, uow: FakeUnitOfWork) -> None:
        super().__init__(uow, "network_links")
        self._pairs = uow.tables["network_link_pairs"]

    async def get(self, link_id: str) -> NetworkLink | None:
        found = self._get(link_id)
        return None if found is None else NetworkLink(**found)

    async def of_network(self, network_id: str) -> list[NetworkLink]:
        ends = ("proposer_network_id", "recipient_network_id")
        links = [NetworkLink(**d) for d in self._all() if network_id in (d[e] for e in ends)]
        links.sort(key=lambda link: link.link_id)
        return sorted(links, key=lambda link: link.proposed_at, reverse=True)

    async def open_of_pair(self, pair: str) -> str | None:
        found = self._pairs.get(pair)
        return None if found is None else found["open_link_id"]

    async def save(self, link: NetworkLink, pair: str, is_open: bool) -> None:
        self._uow.writing()
        doc = link_doc(link)
        if link.version == 1:
            self._insert(doc)
        else:
            found = self._rows.get(link.link_id)
            if found is None or found["version"] != link.version - 1:
                raise AppError(ErrorCode.CONFLICT, "the link changed meanwhile", field="linkId")
            self._rows[link.link_id] = doc
        self._pairs[pair] = {"_id": pair, "open_link_id": link.link_id if is_open else None}


class FakeSessions(FakeRepository, SessionRepository):
    def __init__(self, uow: FakeUnitOfWork) -> None:
        super().__init__(uow, "sign_in_links")
        self._tables = uow.tables

    def _rows_of(self, table: str) -> list[Document]:
        return [copy.deepcopy(d) for _, d in sorted(self._tables[table].items())]

    async def memberships(self, email: str) -> list[Document]:
        email = email.lower()
        members = [membership(m) for m in self._rows_of("members") if m["email"] == email]
        networks = self._rows_of("networks")
        return members + [operatorship(n) for n in networks if n["operator_email"] == email]

    async def network_names(self, ids: list[str]) -> dict[str, str]:
        return {n["_id"]: n["name"] for n in self._rows_of("networks") if n["_id"] in ids}

    async def add_link(self, nonce: str, holder: Document, expires_at: datetime) -> None:
        self._insert(link_doc_of_nonce(nonce, holder, expires_at))

    async def use_link(self, nonce: str, now: datetime) -> Document | None:
        self._uow.writing()
        found = self._rows.get(token_hash(nonce))
        if found is None or found["used_at"] is not None or found["expires_at"] <= now:
            return None
        found["used_at"] = now
        return copy.deepcopy(found)

    async def add_session(self, token: str, holder: Document, expires_at: datetime) -> None:
        self._uow.writing()
        doc = session_doc(token, holder, expires_at)
        self._tables["tokens"][doc["_id"]] = doc

    async def session(self, token: str) -> Document | None:
        found = self._tables["tokens"].get(token_hash(token))
        if found is None or found.get("kind") != SESSION or found["revoked"]:
            return None
        return copy.deepcopy(found)

    async def end(self, member_id: str, session_id: str | None = None) -> int:
        self._uow.writing()
        ended = 0
        for doc in self._tables["tokens"].values():
            if (
                doc["member_id"] == member_id
                and doc.get("kind") == SESSION
                and not doc["revoked"]
                and session_id in (None, doc["_id"])
            ):
                doc["revoked"] = True
                ended += 1
        return ended


class FakeIntakeUnitOfWork(FakeUnitOfWork, IntakeUnitOfWork):
    def __init__(self) -> None:
        super().__init__(
            "networks",
            "organizations",
            "members",
            "tokens",
            "needs",
            "survey_imports",
            "network_links",
            "network_link_pairs",
            "sign_in_links",
        )
        self.networks = FakeNetworks(self, "networks")
        self.organizations = FakeOrganizations(self, "organizations")
        self.members = FakeMembers(self)
        self.needs = FakeNeeds(self, "needs")
        self.surveys = FakeSurveyImports(self, "survey_imports")
        self.links = FakeLinks(self)
        self.sessions = FakeSessions(self)
