"""The typed client of commitments' internal routes (services/commitments/api.py): each method
sends the route's request model and answers its contract."""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar

from pydantic import BaseModel, JsonValue

from shared import contracts as c
from shared.contracts.operations import ClockSet
from shared.contracts.page import Batch, Page
from shared.contracts.requests import commitments as rq
from shared.contracts.requests.operations import SetClock
from shared.http import Headers, Params, ServiceClient

B = TypeVar("B", bound=BaseModel)


class CommitmentsClient:
    def __init__(self, http: ServiceClient) -> None:
        self.http = http

    # Partnerships
    async def form_partnership(
        self, request: rq.FormPartnership, *, headers: Headers = None
    ) -> c.PartnershipView:
        return await self.http.post("/partnerships", c.PartnershipView, request, headers=headers)

    async def partnership(self, partnership_id: str) -> c.PartnershipView:
        return await self.http.get(f"/partnerships/{partnership_id}", c.PartnershipView)

    async def partnerships(
        self,
        network_id: str,
        first: int,
        *,
        status: c.PartnershipStatus | None = None,
        after: str | None = None,
    ) -> Page[c.PartnershipView]:
        params: Params = {
            "network_id": network_id,
            "first": first,
            "status": status.value if status else None,
            "after": after,
        }
        return await self.http.get("/partnerships", Page[c.PartnershipView], params)

    async def partnerships_by_ids(self, ids: list[str]) -> dict[str, c.PartnershipView]:
        return (await self._batch("/partnerships/by-ids", Batch[c.PartnershipView], ids)).items

    async def partnerships_by_organization(
        self, ids: list[str]
    ) -> dict[str, list[c.PartnershipView]]:
        path = "/partnerships/by-organization"
        return (await self._batch(path, Batch[list[c.PartnershipView]], ids)).items

    async def update_partnership(
        self, partnership_id: str, request: rq.UpdatePartnership, *, headers: Headers = None
    ) -> c.PartnershipView:
        path = f"/partnerships/{partnership_id}"
        return await self.http.patch(path, c.PartnershipView, request, headers=headers)

    async def assign_role(
        self, partnership_id: str, request: rq.AssignRole, *, headers: Headers = None
    ) -> c.PartnershipView:
        path = f"/partnerships/{partnership_id}/roles"
        return await self.http.put(path, c.PartnershipView, request, headers=headers)

    async def set_status(
        self, partnership_id: str, request: rq.SetPartnershipStatus, *, headers: Headers = None
    ) -> c.PartnershipView:
        path = f"/partnerships/{partnership_id}/status"
        return await self.http.post(path, c.PartnershipView, request, headers=headers)

    # Commitments
    async def make_commitment(
        self, partnership_id: str, request: rq.MakeCommitment, *, headers: Headers = None
    ) -> c.CommitmentView:
        path = f"/partnerships/{partnership_id}/commitments"
        return await self.http.post(path, c.CommitmentView, request, headers=headers)

    async def commitment(self, commitment_id: str) -> c.CommitmentView:
        return await self.http.get(f"/commitments/{commitment_id}", c.CommitmentView)

    async def update_commitment(
        self, commitment_id: str, request: rq.CommitmentUpdate, *, headers: Headers = None
    ) -> c.CommitmentView:
        path = f"/commitments/{commitment_id}/status"
        return await self.http.post(path, c.CommitmentView, request, headers=headers)

    async def answer_commitment(
        self, commitment_id: str, request: rq.CommitmentAnswer, *, headers: Headers = None
    ) -> c.CommitmentView:
        path = f"/commitments/{commitment_id}/answer"
        return await self.http.post(path, c.CommitmentView, request, headers=headers)

    # Records of a partnership
    async def record_check_in(
        self, partnership_id: str, request: rq.RecordCheckIn, *, headers: Headers = None
    ) -> c.CheckInView:
        path = f"/partnerships/{partnership_id}/check-ins"
        return await self.http.post(path, c.CheckInView, request, headers=headers)

    async def reach_milestone(
        self, partnership_id: str, request: rq.ReachMilestone, *, headers: Headers = None
    ) -> c.MilestoneView:
        path = f"/partnerships/{partnership_id}/milestones"
        return await self.http.post(path, c.MilestoneView, request, headers=headers)

    async def log_contribution(
        self, partnership_id: str, request: rq.LogContribution, *, headers: Headers = None
    ) -> c.ContributionView:
        path = f"/partnerships/{partnership_id}/contributions"
        return await self.http.post(path, c.ContributionView, request, headers=headers)

    async def submit_feedback(
        self, partnership_id: str, request: rq.SubmitFeedback, *, headers: Headers = None
    ) -> c.FeedbackView:
        path = f"/partnerships/{partnership_id}/feedback"
        return await self.http.post(path, c.FeedbackView, request, headers=headers)

    # The updates log and the community's voice
    async def post_update(
        self, partnership_id: str, request: rq.PostUpdate, *, headers: Headers = None
    ) -> c.PartnershipUpdateView:
        path = f"/partnerships/{partnership_id}/updates"
        return await self.http.post(path, c.PartnershipUpdateView, request, headers=headers)

    async def respond_to_partnership(
        self, partnership_id: str, request: rq.RespondToPartnership, *, headers: Headers = None
    ) -> c.CommunityReceipt:
        path = f"/partnerships/{partnership_id}/community-responses"
        return await self.http.post(path, c.CommunityReceipt, request, headers=headers)

    async def respond_to_need(
        self, need_id: str, request: rq.RespondToNeed, *, headers: Headers = None
    ) -> c.CommunityReceipt:
        path = f"/needs/{need_id}/community-responses"
        return await self.http.post(path, c.CommunityReceipt, request, headers=headers)

    async def commitments_of(self, ids: list[str]) -> dict[str, list[c.CommitmentView]]:
        path = "/commitments/by-partnership"
        return (await self._batch(path, Batch[list[c.CommitmentView]], ids)).items

    async def check_ins_of(self, ids: list[str]) -> dict[str, list[c.CheckInView]]:
        path = "/check-ins/by-partnership"
        return (await self._batch(path, Batch[list[c.CheckInView]], ids)).items

    async def milestones_of(self, ids: list[str]) -> dict[str, list[c.MilestoneView]]:
        path = "/milestones/by-partnership"
        return (await self._batch(path, Batch[list[c.MilestoneView]], ids)).items

    async def contributions_of(self, ids: list[str]) -> dict[str, list[c.ContributionView]]:
        path = "/contributions/by-partnership"
        return (await self._batch(path, Batch[list[c.ContributionView]], ids)).items

    async def feedback_of(self, ids: list[str]) -> dict[str, list[c.FeedbackView]]:
        path = "/feedback/by-partnership"
        return (await self._batch(path, Batch[list[c.FeedbackView]], ids)).items

    async def updates_of(self, ids: list[str]) -> dict[str, list[c.PartnershipUpdateView]]:
        path = "/updates/by-partnership"
        return (await self._batch(path, Batch[list[c.PartnershipUpdateView]], ids)).items

    async def community_responses_of(
        self, ids: list[str]
    ) -> dict[str, list[c.CommunityResponseView]]:
        path = "/community-responses/by-partnership"
        return (await self._batch(path, Batch[list[c.CommunityResponseView]], ids)).items

    # Health, reliability, reports
    async def health_history(
        self, partnership_id: str, since: datetime | None, until: datetime | None
    ) -> list[c.HealthPoint]:
        params: Params = {
            "since": since.isoformat() if since else None,
            "until": until.isoformat() if until else None,
        }
        path = f"/partnerships/{partnership_id}/health-history"
        return await self.http.get(path, list[c.HealthPoint], params)

    async def health_trends(self, ids: list[str]) -> dict[str, c.HealthTrend]:
        return (await self._batch("/health-trends", Batch[c.HealthTrend], ids)).items

    async def health_warnings(self, ids: list[str]) -> dict[str, list[c.HealthWarningView]]:
        path = "/health-warnings"
        return (await self._batch(path, Batch[list[c.HealthWarningView]], ids)).items

    async def reliability(self, ids: list[str]) -> dict[str, c.Reliability]:
        path = "/reliability/by-organization"
        return (await self._batch(path, Batch[c.Reliability], ids)).items

    async def meeting_times(
        self, partnership_id: str, first: int, days: int, duration_minutes: int
    ) -> list[c.MeetingSlot]:
        params = {"first": first, "days": days, "duration_minutes": duration_minutes}
        path = f"/partnerships/{partnership_id}/meeting-times"
        return await self.http.get(path, list[c.MeetingSlot], params)

    async def report(self, partnership_id: str) -> dict[str, JsonValue]:
        path = f"/partnerships/{partnership_id}/report"
        return await self.http.get(path, dict[str, JsonValue])

    async def report_csv(self, partnership_id: str) -> str:
        path = f"/partnerships/{partnership_id}/report"
        return await self.http.get(path, str, {"format": "csv"})

    async def set_clock(self, moment: datetime | None) -> ClockSet:
        """The service's time from now on (None: back to the system clock); NOT_FOUND where
        clock control is off."""
        return await self.http.put("/clock", ClockSet, SetClock(now=moment))

    async def tick(self, time_limit: float | None = None) -> c.SchedulerTicked:
        """Runs the scheduler now, on the service's clock (the demo and operators); a long
        pass may take `time_limit` seconds."""
        return await self.http.post("/scheduler/tick", c.SchedulerTicked, time_limit=time_limit)

    async def _batch(self, path: str, answer: type[B], ids: list[str]) -> B:
        return await self.http.get(path, answer, {"ids": ",".join(ids)})
