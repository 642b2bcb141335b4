"""The room's bookkeeping alone: codes, passes bounded in number, the live signal."""

from __future__ import annotations

import ipaddress

import pytest

from app.lan import base_url, lan_addresses
from app.web.room import (
    CODE_ALPHABET,
    CODE_LENGTH,
    MAX_ATTENDEES,
    MAX_INSTRUCTOR_PASSES,
    MAX_NAME,
    Room,
    RoomFull,
    show_code,
)
from tests.training.test_session import run_isolated


def test_codes_are_short_unambiguous_and_rotate() -> None:
    room = Room()
    assert len(room.code) == CODE_LENGTH and set(room.code) <= set(CODE_ALPHABET)
    assert not set("01OIL") & set(CODE_ALPHABET)
    old = room.code
    assert room.rotate() != old and not room.code_matches(old)
    assert room.code_matches(show_code(room.code).lower())
    assert not room.code_matches(room.code * 30)  # long input: refused without comparing


def test_passes_are_bounded_and_names_cleaned() -> None:
    room = Room()
    cookies = [room.admit("attendee", f"  a\n{i} ", "10.0.0.1")[0] for i in range(MAX_ATTENDEES)]
    with pytest.raises(RoomFull):
        room.admit("attendee", "one more", "10.0.0.1")
    assert room.member(cookies[0]).name == "a 0"  # type: ignore[union-attr]
    assert len({*cookies}) == MAX_ATTENDEES and all(len(c) >= 40 for c in cookies)
    first = room.admit("instructor", "", "127.0.0.1")[0]
    for _ in range(MAX_INSTRUCTOR_PASSES):
        room.admit("instructor", "", "127.0.0.1")
    assert room.member(first) is None  # the oldest instructor pass went
    assert len(room.members("instructor")) == MAX_INSTRUCTOR_PASSES
    assert room.admit("instructor", "x" * 99, "")[1].name == "x" * MAX_NAME
    assert room.member("") is None and room.member("y" * 500) is None


def test_the_live_signal_fires_once_per_change() -> None:
    async def scenario() -> None:
        room = Room()
        signal = room.live_changed()
        room.set_live("abc")
        assert signal.is_set() and room.live == "abc"
        again = room.live_changed()
        room.set_live("abc")  # no change: no signal
        assert not again.is_set()
        room.set_live(None)
        assert again.is_set()

    run_isolated(scenario())  # Playwright's e2e fixtures own this thread's loop


def test_lan_addresses_are_usable_ipv4() -> None:
    for address in lan_addresses():  # may be empty on a machine without a network
        ip = ipaddress.ip_address(address)
        assert ip.version == 4 and not ip.is_loopback and not ip.is_unspecified
    assert base_url("fe80::1", 80) == "http://[fe80::1]:80"
