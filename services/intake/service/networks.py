"""Networks: created with their operator's token (the CLI's), read, and a new join code on
demand."""

from __future__ import annotations

from services.intake import domain
from services.intake.service.base import UseCases, network_of
from services.intake.service.unit_of_work import IntakeUnitOfWork
from services.intake.tokens import new_join_code, new_token
from shared.contracts import operator_member_id
from shared.contracts.intake import CreatedNetwork, NetworkView
from shared.events import new_id
from shared.mongo import Document


def network_view(found: Document) -> NetworkView:
    return NetworkView(
        network_id=found["_id"],
        name=found["name"],
        region=found["region"],
        time_zone=found["time_zone"],
        join_code=found["join_code"],
    )


class Networks(UseCases):
    async def create_network(
        self, data: domain.NetworkInput, uow: IntakeUnitOfWork
    ) -> CreatedNetwork:
        """A network and its operator's token (the CLI's; no Idempotency-Key)."""
        answer = CreatedNetwork(
            network_id=new_id("net"), operator_token=new_token("op"), join_code=new_join_code()
        )
        network_id = answer.network_id
        async with uow:
            await uow.networks.add(
                network_id, data.model_dump(), answer.join_code, self.clock.now()
            )
            operator = operator_member_id(network_id)
            await uow.members.add_token(
                answer.operator_token, domain.Role.OPERATOR, network_id, operator, None
            )
        return answer

    async def network(self, network_id: str, uow: IntakeUnitOfWork) -> NetworkView:
        return network_view(await network_of(uow, network_id))

    async def rotate_join_code(self, network_id: str, uow: IntakeUnitOfWork) -> NetworkView:
        """A new join code; the old one stops working at once. Answers the network."""
        found = await network_of(uow, network_id)
        answer = network_view({**found, "join_code": new_join_code()})
        async with uow:
            await uow.networks.set_join_code(network_id, answer.join_code)
            await uow.answer(answer)
        return answer
