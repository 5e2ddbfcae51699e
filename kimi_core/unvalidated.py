"""Building framework message objects without re-running their validation, safely.

Both adapters build one framework object or two per stream chunk (LangChain's
``AIMessageChunk`` + ``ChatGenerationChunk``, LlamaIndex's ``ChatMessage`` + ``ChatResponse``).
Their constructors cost 1.3–5 µs each: pydantic validation, model validators that are no-ops
for the inputs the adapters give, copies of every list and dict. The inputs are already valid
(built from the core's normalised wire dicts), so an adapter may build the object the way
``BaseModel.model_construct`` does, minus its per-field loop: set ``__dict__`` with every field
in declaration order, and the same ``model_fields_set`` a validated build would have.

That is only equal to a validated build while the class has exactly the fields and validators
the adapter accounts for, so each adapter checks ``is_plain_model`` once at import and falls
back to the validated constructors otherwise (and its tests compare both builds field for
field). Pydantic only, no framework import: this is shared by both adapters.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel

__all__ = ["is_plain_model", "unvalidated_builder"]

_Model = TypeVar("_Model", bound=BaseModel)
_new = object.__new__
_set = object.__setattr__


def is_plain_model(cls: type[BaseModel], fields: tuple[str, ...], validators: set[str]) -> bool:
    """Whether ``cls`` can be built by setting its ``__dict__``: exactly these fields (in this
    order), no private attributes or post-init hook, no field validators, and only these model
    validators (which the caller has checked to be no-ops for what it builds)."""
    decorators = cls.__pydantic_decorators__
    return (
        tuple(cls.model_fields) == fields
        and not cls.__private_attributes__
        and cls.__pydantic_post_init__ is None
        and cls.model_config.get("extra") in (None, "ignore", "allow")
        and set(decorators.model_validators) == validators
        and not (decorators.field_validators or decorators.validators)
        and not decorators.root_validators
    )


def unvalidated_builder(cls: type[_Model]) -> Callable[[dict[str, Any], set[str]], _Model]:
    """A function building ``cls`` instances unvalidated: ``build(values, fields_set)``.

    ``values`` holds every field, in declaration order; ``fields_set`` becomes the instance's
    own ``model_fields_set`` (pydantic adds to it on assignment), so pass a new set per
    instance. A model with ``extra="allow"`` gets a new empty ``__pydantic_extra__``, as
    validation gives it. (A closure per class: the per-instance work is four slot writes.)
    """
    allow_extra = cls.model_config.get("extra") == "allow"

    def build(values: dict[str, Any], fields_set: set[str]) -> _Model:
        instance: _Model = _new(cls)
        _set(instance, "__dict__", values)
        _set(instance, "__pydantic_fields_set__", fields_set)
        _set(instance, "__pydantic_extra__", {} if allow_extra else None)
        _set(instance, "__pydantic_private__", None)
        return instance

    build.__qualname__ = f"build_unvalidated_{cls.__name__}"
    return build
