"""``kimi_core.unvalidated``: an unvalidated build equals a validated one, and is refused
for classes it cannot account for."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict, PrivateAttr, field_validator, model_validator

from kimi_core._fastpath import is_plain_model, unvalidated_builder


class Plain(BaseModel):
    text: str
    tags: list[str] = []
    note: str | None = None


class Open(BaseModel):
    model_config = ConfigDict(extra="allow")
    text: str


class Checked(BaseModel):
    text: str

    @model_validator(mode="after")
    def strip(self) -> Checked:
        return self


def test_a_build_equals_the_validated_model() -> None:
    built = unvalidated_builder(Plain)({"text": "a", "tags": [], "note": None}, {"text"})
    validated = Plain(text="a")
    assert built == validated
    assert built.model_fields_set == validated.model_fields_set == {"text"}
    assert built.model_dump_json() == validated.model_dump_json()
    assert repr(built) == repr(validated)
    built.note = "n"  # assignment works and is recorded like on a validated model
    assert built.model_fields_set == {"text", "note"}
    assert built.model_copy(update={"text": "b"}).text == "b"


def test_extra_allow_gets_an_empty_extra_dict_as_validation_gives() -> None:
    built = unvalidated_builder(Open)({"text": "a"}, {"text"})
    assert built.__pydantic_extra__ == Open(text="a").__pydantic_extra__ == {}
    assert built == Open(text="a")
    closed = unvalidated_builder(Plain)({"text": "a", "tags": [], "note": None}, set())
    assert closed.__pydantic_extra__ is None
    assert Plain(text="a").__pydantic_extra__ is None


@pytest.mark.parametrize(
    ("cls", "fields", "validators", "expected"),
    [
        (Plain, ("text", "tags", "note"), set(), True),
        (Plain, ("text", "note", "tags"), set(), False),  # order matters: __dict__ order
        (Plain, ("text", "tags"), set(), False),
        (Open, ("text",), set(), True),
        (Checked, ("text",), {"strip"}, True),
        (Checked, ("text",), set(), False),  # an unaccounted-for validator
    ],
)
def test_plain_model_accepts_exactly_the_fields_and_validators_given(
    cls: type[BaseModel], fields: tuple[str, ...], validators: set[str], expected: bool
) -> None:
    assert is_plain_model(cls, fields, validators) is expected


def test_private_attributes_field_validators_and_forbidden_extras_are_refused() -> None:
    class Private(BaseModel):
        text: str
        _cache: Any = PrivateAttr(default=None)

    class FieldChecked(BaseModel):
        text: str

        @field_validator("text")
        @classmethod
        def upper(cls, value: str) -> str:
            return value.upper()

    class Strict(BaseModel):
        model_config = ConfigDict(extra="forbid")
        text: str

    for cls in (Private, FieldChecked, Strict):
        assert not is_plain_model(cls, ("text",), set()), cls.__name__
