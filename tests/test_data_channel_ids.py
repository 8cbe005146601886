"""data_channel_ids: the stream an in-band data channel takes (RFC 8832)."""

from __future__ import annotations

from rtcshim.data_channel_ids import MAX_ID, first_free_id


def test_first_free_id_is_even_for_the_dtls_client_and_odd_for_the_server() -> None:
    assert first_free_id("client", set()) == 0
    assert first_free_id("server", set()) == 1


def test_first_free_id_skips_ids_in_use_of_either_parity() -> None:
    assert first_free_id("client", {0, 1, 2, 6}) == 4
    assert first_free_id("server", {0, 1, 2, 3}) == 5


def test_first_free_id_is_none_when_every_id_of_the_role_is_taken() -> None:
    assert first_free_id("client", set(range(0, MAX_ID + 1, 2))) is None
    assert first_free_id("server", set(range(1, MAX_ID + 1, 2))) is None
