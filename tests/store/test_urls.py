"""``--database`` URLs: several hosts in either spelling, checked before connecting,
masked in logs."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from deconflict.errors import InvalidInput
from deconflict.store.urls import checked_url, host_count, masked


def connect_args(url: str) -> dict[str, object]:
    engine = create_engine(url)
    try:
        _, params = engine.dialect.create_connect_args(engine.url)
        return {k: v for k, v in params.items() if k != "context"}
    finally:
        engine.dispose()


def test_libpq_multi_host_urls_become_one_psycopg_host_list() -> None:
    url = checked_url(
        "postgresql://u:pw@h1:5432,h2:5433,h3:5434/db?target_session_attrs=read-write"
    )
    params = connect_args(url)
    assert params["host"] == "h1,h2,h3"
    assert params["port"] == "5432,5433,5434"
    assert params["target_session_attrs"] == "read-write"
    assert params["dbname"] == "db"


def test_sqlalchemy_multi_host_urls_are_passed_through() -> None:
    url = checked_url(
        "postgresql+psycopg://u@/db?host=h1:1&host=h2:2&target_session_attrs=read-write"
    )
    assert connect_args(url)["host"] == "h1,h2"


def test_several_hosts_without_session_attrs_ask_for_the_primary() -> None:
    url = checked_url("postgresql://u@h1:5432,h2:5432/db")
    assert make_url(url).query["target_session_attrs"] == "read-write"


def test_a_single_host_url_is_left_as_given_but_for_the_driver() -> None:
    assert checked_url("postgresql://u@h1:5432/db") == "postgresql+psycopg://u@h1:5432/db"


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("postgresql://u@h1:5432,h2:port/db", "port"),
        ("postgresql+psycopg://u@/db?host=h1:99999", "port"),
        (
            "postgresql+psycopg://u@/db?host=h1&target_session_attrs=writable",
            "target_session_attrs",
        ),
        ("postgresql://u@h1,,h3/db", "empty host"),
        ("mysql://u@h/db", "unknown kind"),
    ],
)
def test_a_malformed_url_is_invalid_input_naming_the_problem(url: str, says: str) -> None:
    with pytest.raises(InvalidInput, match=says) as caught:
        checked_url(url)
    assert caught.value.field == "--database"


def test_the_masked_form_hides_the_password() -> None:
    url = checked_url("postgresql://u:s3cret@h1:5432,h2:5432/db")
    assert "s3cret" in url
    assert "s3cret" not in masked(url)
    assert "h2" in masked(url)


def test_host_count_counts_every_listed_server() -> None:
    assert host_count(checked_url("postgresql://u@a:1,b:2,c:3/db")) == 3
    assert host_count("postgresql+psycopg://u@a:1/db") == 1
