"""Reviving a chain that holds a ``ChatKimi`` from ``langchain_core.load.dumps``.

``langchain_core.load.loads`` only revives langchain-core's own classes by default
(``allowed_objects="core"``); a partner class must be allowed by name and its namespace
listed. ``loads`` here is that call with ``ChatKimi`` added to the core allowlist — nothing
else outside langchain-core is allowed, so it is as safe as the default for untrusted text.
The key is never in the serialized text (``ChatKimi.lc_secrets``): pass it in ``secrets_map``
as ``{"MOONSHOT_API_KEY": ...}``, or let ``secrets_from_env=True`` read it; with neither,
``ChatKimi`` reads ``MOONSHOT_API_KEY`` as it is built, and says so (``ConfigurationError``,
``param="api_key"``) when it is not set.
"""

from __future__ import annotations

from typing import Any

from langchain_core.load import loads as _core_loads

__all__ = ["KIMI_CLASS_PATHS", "loads"]

KIMI_CLASS_PATHS: dict[tuple[str, ...], tuple[str, ...]] = {
    ("langchain_kimi", "chat_models", "ChatKimi"): ("langchain_kimi", "chat_models", "ChatKimi"),
}
"""The ``additional_import_mappings`` that allow this package's serializable classes."""


def loads(
    text: str,
    *,
    secrets_map: dict[str, str] | None = None,
    secrets_from_env: bool = False,
    **kwargs: Any,
) -> Any:
    """``langchain_core.load.loads`` with langchain-core's classes and ``ChatKimi`` allowed.

    Any other keyword goes to ``langchain_core.load.loads`` unchanged.
    """
    mappings = {**KIMI_CLASS_PATHS, **kwargs.pop("additional_import_mappings", {})}
    namespaces = ["langchain_kimi", *(kwargs.pop("valid_namespaces", None) or [])]
    kwargs.setdefault("allowed_objects", "core")
    return _core_loads(
        text,
        secrets_map=secrets_map,
        secrets_from_env=secrets_from_env,
        valid_namespaces=namespaces,
        additional_import_mappings=mappings,
        **kwargs,
    )
