"""How ``api/problems.py`` words a request the models refuse: the client's own field
names, never the names of what the validator tried."""

from __future__ import annotations

from typing import Literal

from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel

from deconflict.api.problems import install_error_handlers, json_position


class Circle(BaseModel):
    type: Literal["Circle"]
    radius_m: float


class Square(BaseModel):
    type: Literal["Square"]
    side_m: float


class Shape(BaseModel):
    geometry: Circle | Square


def client() -> TestClient:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/shapes")
    def post(body: Shape) -> dict[str, str]:
        return {}

    return TestClient(app)


def test_a_union_member_that_failed_is_not_named_only_the_field_sent() -> None:
    r = client().post("/shapes", json={"geometry": {"type": "Circle", "radius_m": "wide"}})
    assert r.status_code == 400
    message = r.json()["message"]
    assert message.startswith("geometry.radius_m: input should be a valid number")
    assert "Circle" not in message.split(":")[0] and "Square" not in message


def test_a_value_no_member_fits_is_told_once_with_every_value_it_may_take() -> None:
    r = client().post("/shapes", json={"geometry": {"type": "Hexagon"}})
    assert r.status_code == 400
    assert (
        r.json()["message"]
        == "geometry.type: input should be 'Circle' or 'Square', got \"Hexagon\""
    )


def test_a_position_in_json_is_its_line_and_column() -> None:
    doc = '{\n  "a": 1,\n  "b": ]\n}'
    assert json_position(doc, doc.index("]")) == (3, 8)
    assert json_position(doc, 0) == (1, 1)
