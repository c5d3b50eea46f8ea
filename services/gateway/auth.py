"""Authorization in one place: network scope and roles, checked by every resolver.

The rule of the contract: an id from another network answers exactly as a missing id does
(`NOT_FOUND`), so ids cannot be probed; a caller in the right network without the right role
or organization gets `FORBIDDEN`. Pure functions of the caller: no I/O here.
"""

from __future__ import annotations

from collections.abc import Iterable

from services.gateway.context import Caller, Role
from shared.errors import AppError, ErrorCode, not_found


def require_network(caller: Caller, network_id: str, what: str = "object", ident: str = "") -> None:
    """NOT_FOUND unless the object lives in the caller's network."""
    if not caller.in_network(network_id):
        raise not_found(what, ident or network_id)


def require_role(caller: Caller, *roles: Role) -> None:
    """FORBIDDEN unless the caller has one of `roles` (call after the network check)."""
    if caller.role not in roles:
        allowed = " or ".join(r.value for r in roles)
        raise AppError(ErrorCode.FORBIDDEN, f"this operation needs the role {allowed}")


def require_operator(caller: Caller, network_id: str) -> None:
    require_network(caller, network_id, "network", network_id)
    require_role(caller, Role.OPERATOR)


def require_member_of(
    caller: Caller,
    organization_id: str,
    network_id: str,
    *,
    admin: bool = False,
    operator_allowed: bool = False,
) -> None:
    """The caller belongs to `organization_id` (of `network_id`); with `admin`, as its admin.
    The network's operator passes too when `operator_allowed`."""
    require_network(caller, network_id, "organization", organization_id)
    if operator_allowed and caller.is_operator:
        return
    if caller.organization_id != organization_id:
        raise AppError(ErrorCode.FORBIDDEN, f"only members of {organization_id} may do this")
    if admin:
        require_role(caller, Role.ORG_ADMIN)


def require_party(
    caller: Caller,
    organization_ids: Iterable[str],
    network_id: str,
    what: str,
    ident: str,
    *,
    operator_allowed: bool = True,
) -> None:
    """The caller's organization is one of `organization_ids` (a partnership's, a match's);
    the network's operator passes when `operator_allowed`."""
    require_network(caller, network_id, what, ident)
    if operator_allowed and caller.is_operator:
        return
    if caller.organization_id not in set(organization_ids):
        raise AppError(ErrorCode.FORBIDDEN, f"only the parties of {ident} may do this")


def network_seen(caller: Caller, network_id: str, network_ids: Iterable[str]) -> str:
    """The network of a match or partnership as the caller may see it: the caller's own when
    the object joins organizations across a link with it (`network_ids` names both networks,
    and stays so after the link ends), else the one it belongs to (`network_id`)."""
    return caller.network_id if caller.network_id in set(network_ids) else network_id
