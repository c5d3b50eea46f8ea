"""The gateway's cache of resolved callers: short-lived, bounded, and emptied of a removed
member's tokens."""

from __future__ import annotations

from services.gateway.callers import CallerCache
from services.gateway.context import Caller
from shared.contracts.intake import Role


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def caller(member_id: str) -> Caller:
    return Caller(
        member_id=member_id, network_id="net_1", organization_id="org_1", role=Role.MEMBER
    )


def test_a_resolved_caller_is_kept_until_its_time_is_up() -> None:
    clock = Clock()
    cache = CallerCache(10.0, clock=clock)
    cache.put("token-a", caller("mem_a"))
    clock.now += 9.9
    assert cache.get("token-a") == caller("mem_a")
    clock.now += 0.2
    assert cache.get("token-a") is None
    assert len(cache) == 0


def test_a_removed_members_tokens_leave_the_cache_and_no_one_elses() -> None:
    cache = CallerCache(30.0, clock=Clock())
    cache.put("token-a1", caller("mem_a"))
    cache.put("token-a2", caller("mem_a"))
    cache.put("token-b", caller("mem_b"))
    assert cache.forget_member("mem_a") == 2
    assert cache.get("token-a1") is None and cache.get("token-a2") is None
    assert cache.get("token-b") == caller("mem_b")


def test_the_cache_holds_at_most_its_capacity_least_recently_used_out_first() -> None:
    cache = CallerCache(30.0, capacity=2, clock=Clock())
    cache.put("one", caller("mem_1"))
    cache.put("two", caller("mem_2"))
    assert cache.get("one") is not None  # used: "two" is now the oldest
    cache.put("three", caller("mem_3"))
    assert cache.get("two") is None
    assert cache.get("one") is not None and cache.get("three") is not None


def test_no_cache_when_its_life_is_zero() -> None:
    cache = CallerCache(0.0, clock=Clock())
    cache.put("token", caller("mem_a"))
    assert cache.get("token") is None


def test_tokens_are_not_kept_in_the_clear() -> None:
    cache = CallerCache(30.0, clock=Clock())
    cache.put("secret-token", caller("mem_a"))
    assert "secret-token" not in repr(cache._entries)
