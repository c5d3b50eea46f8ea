"""The typed client of intake's internal routes (services/intake/api/): each method sends the
route's request model and answers its contract."""

from __future__ import annotations

from shared import contracts as c
from shared.contracts.page import Batch, Edge, Page
from shared.contracts.requests import intake as rq
from shared.http import Headers, Params, ServiceClient, validated


class IntakeClient:
    def __init__(self, http: ServiceClient) -> None:
        self.http = http

    # Networks and tokens
    async def create_network(self, request: rq.NetworkInput) -> c.CreatedNetwork:
        return await self.http.post("/networks", c.CreatedNetwork, request)

    async def resolve_token(self, token: str) -> c.TokenHolder:
        """UNAUTHENTICATED for a token that is unknown, revoked or expired."""
        request = validated(rq.ResolveToken, {"token": token})
        return await self.http.post("/auth/resolve", c.TokenHolder, request)

    async def network(self, network_id: str) -> c.NetworkView:
        return await self.http.get(f"/networks/{network_id}", c.NetworkView)

    async def rotate_join_code(self, network_id: str, *, headers: Headers = None) -> c.NetworkView:
        path = f"/networks/{network_id}/join-code"
        return await self.http.post(path, c.NetworkView, headers=headers)

    # Organizations and members
    async def register_organization(
        self, request: rq.RegisterOrganization, *, headers: Headers = None
    ) -> c.RegisteredOrganization:
        return await self.http.post(
            "/organizations", c.RegisteredOrganization, request, headers=headers
        )

    async def organization(self, organization_id: str) -> c.OrganizationProfile:
        return await self.http.get(f"/organizations/{organization_id}", c.OrganizationProfile)

    async def organizations(
        self,
        network_id: str,
        first: int,
        *,
        focus_area: str | None = None,
        resource_kind: str | None = None,
        search: str | None = None,
        after: str | None = None,
    ) -> Page[Edge[c.OrganizationProfile]]:
        params: Params = {
            "network_id": network_id,
            "first": first,
            "focus_area": focus_area,
            "resource_kind": resource_kind,
            "search": search,
            "after": after,
        }
        return await self.http.get("/organizations", Page[Edge[c.OrganizationProfile]], params)

    async def organizations_by_ids(self, ids: list[str]) -> dict[str, c.OrganizationProfile]:
        params = {"ids": ",".join(ids)}
        found = await self.http.get("/organizations/by-ids", Batch[c.OrganizationProfile], params)
        return found.items

    async def update_organization(
        self, organization_id: str, request: rq.UpdateOrganization, *, headers: Headers = None
    ) -> c.OrganizationAnswer:
        path = f"/organizations/{organization_id}/profile"
        return await self.http.post(path, c.OrganizationAnswer, request, headers=headers)

    async def archive_organization(
        self, organization_id: str, *, headers: Headers = None
    ) -> c.OrganizationAnswer:
        path = f"/organizations/{organization_id}/archive"
        return await self.http.post(path, c.OrganizationAnswer, headers=headers)

    async def add_member(
        self, organization_id: str, request: rq.AddMember, *, headers: Headers = None
    ) -> c.AddedMember:
        path = f"/organizations/{organization_id}/members"
        return await self.http.post(path, c.AddedMember, request, headers=headers)

    async def members(self, organization_id: str) -> Page[c.MemberRef]:
        path = f"/organizations/{organization_id}/members"
        return await self.http.get(path, Page[c.MemberRef])

    async def remove_member(
        self,
        organization_id: str,
        member_id: str,
        request: rq.RemoveMember,
        *,
        headers: Headers = None,
    ) -> c.MemberAnswer:
        path = f"/organizations/{organization_id}/members/{member_id}/remove"
        return await self.http.post(path, c.MemberAnswer, request, headers=headers)

    # Needs, surveys, directories
    async def report_need(self, request: rq.ReportNeed, *, headers: Headers = None) -> c.NeedAnswer:
        return await self.http.post("/needs", c.NeedAnswer, request, headers=headers)

    async def need(self, need_id: str) -> c.NeedProfile:
        return await self.http.get(f"/needs/{need_id}", c.NeedProfile)

    async def needs(
        self,
        network_id: str,
        first: int,
        *,
        focus_area: str | None = None,
        area: str | None = None,
        after: str | None = None,
    ) -> Page[Edge[c.NeedProfile]]:
        params: Params = {
            "network_id": network_id,
            "first": first,
            "focus_area": focus_area,
            "area": area,
            "after": after,
        }
        return await self.http.get("/needs", Page[Edge[c.NeedProfile]], params)

    async def import_survey(
        self, request: rq.ImportSurvey, *, headers: Headers = None, time_limit: float | None = None
    ) -> c.SurveyImport:
        return await self.http.post(
            "/surveys", c.SurveyImport, request, headers=headers, time_limit=time_limit
        )

    async def import_directory(
        self,
        request: rq.ImportDirectory,
        *,
        headers: Headers = None,
        time_limit: float | None = None,
    ) -> c.DirectoryImport:
        return await self.http.post(
            "/directory/import", c.DirectoryImport, request, headers=headers, time_limit=time_limit
        )

    async def export_directory(self, network_id: str) -> c.DirectoryExport:
        params = {"network_id": network_id}
        return await self.http.get("/directory/export", c.DirectoryExport, params)

    # Links between networks
    async def propose_network_link(
        self, network_id: str, request: rq.ProposeNetworkLink, *, headers: Headers = None
    ) -> c.NetworkLinkView:
        path = f"/networks/{network_id}/links"
        return await self.http.post(path, c.NetworkLinkView, request, headers=headers)

    async def change_network_link(
        self, link_id: str, step: str, request: rq.NetworkLinkStep, *, headers: Headers = None
    ) -> c.NetworkLinkView:
        """`step`: accept, decline or end."""
        path = f"/network-links/{link_id}/{step}"
        return await self.http.post(path, c.NetworkLinkView, request, headers=headers)

    async def network_links(self, network_id: str) -> Page[c.NetworkLinkView]:
        return await self.http.get(f"/networks/{network_id}/links", Page[c.NetworkLinkView])

    async def network_link(self, link_id: str, network_id: str) -> c.NetworkLinkView:
        params = {"network_id": network_id}
        return await self.http.get(f"/network-links/{link_id}", c.NetworkLinkView, params)

    # Signing in to /app
    async def request_sign_in_links(self, email: str) -> c.SignInLinks:
        request = validated(rq.RequestSignInLinks, {"email": email})
        return await self.http.post("/auth/sign-in-links", c.SignInLinks, request)

    async def redeem_sign_in_link(self, token: str) -> c.Session:
        request = validated(rq.RedeemSignInLink, {"token": token})
        return await self.http.post("/auth/sign-in-links/redeem", c.Session, request)

    async def end_sessions(self, token: str, everywhere: bool = False) -> c.SessionsEnded:
        request = validated(rq.EndSessions, {"token": token, "everywhere": everywhere})
        return await self.http.post("/auth/sessions/end", c.SessionsEnded, request)
