"""One typed client per service, used by the gateway, the CLI and the demo: a method per
internal route, taking the route's request model (`shared.contracts.requests`) and answering
its contract (`shared.contracts`), so nothing untyped crosses a service boundary."""

from shared.clients.commitments import CommitmentsClient
from shared.clients.intake import IntakeClient
from shared.clients.matching import MatchingClient
from shared.clients.notifications import NotificationsClient

__all__ = ["CommitmentsClient", "IntakeClient", "MatchingClient", "NotificationsClient"]
