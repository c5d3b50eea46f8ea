"""Networks: created with their operator's token (the CLI's), and a new join code on demand."""

from __future__ import annotations

from services.intake import domain
from services.intake.service.base import Answer, UseCases
from services.intake.tokens import new_join_code, new_token
from shared.contracts import operator_member_id
from shared.events import new_id
from shared.idempotency import Answered, no_answer
from shared.mongo import Document, retry_transient


def network_view(found: Document) -> Answer:
    return {
        "networkId": found["_id"],
        "name": found["name"],
        "region": found["region"],
        "timeZone": found["time_zone"],
        "joinCode": found["join_code"],
    }


class Networks(UseCases):
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
        found = await self._network(network_id)
        answer = network_view({**found, "join_code": new_join_code()})
        async with self.outbox.transaction() as tx:
            await self.store.set_join_code(network_id, answer["joinCode"], tx.session)
            await answered(tx.session, answer)
        return answer
