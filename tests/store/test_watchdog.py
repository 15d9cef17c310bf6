"""The watchdog: a transaction's socket is shut down when, and only when, it outlives
its deadline (the one bound that holds when the database server does not answer)."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from deconflict.store.watchdog import WATCHDOG

SAFETY_S = 30.0
"""A blocked read this long means the watchdog never fired: the test fails, not hangs."""


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    """``ours`` stands for the driver's connection, ``server`` for a peer that is silent."""
    ours, server = socket.socketpair()
    ours.settimeout(SAFETY_S)
    yield ours, server
    ours.close()
    server.close()


def test_a_read_blocked_past_the_deadline_fails_at_once(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    ours, _ = pair
    with WATCHDOG.watch(time.monotonic() + 0.05) as w:
        WATCHDOG.arm(w, ours.fileno())
        assert ours.recv(1) == b""  # end of stream: the socket was shut down
    assert w.fired


def test_a_transaction_that_ended_in_time_keeps_its_connection(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    ours, server = pair
    with WATCHDOG.watch(time.monotonic() + 0.05) as w:
        WATCHDOG.arm(w, ours.fileno())
    time.sleep(0.2)  # well past the deadline: the pooled connection now serves others
    server.sendall(b"x")
    assert ours.recv(1) == b"x"
    assert not w.fired


def test_arming_after_the_deadline_shuts_the_socket_down_at_once(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    ours, _ = pair
    with WATCHDOG.watch(time.monotonic() - 1.0) as w:
        WATCHDOG.arm(w, ours.fileno())
        assert w.fired
        assert ours.recv(1) == b""


def test_an_earlier_deadline_is_not_held_up_by_a_later_one(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    ours, _ = pair
    with WATCHDOG.watch(time.monotonic() + 3600), WATCHDOG.watch(time.monotonic() + 0.05) as w:
        WATCHDOG.arm(w, ours.fileno())
        assert ours.recv(1) == b""
