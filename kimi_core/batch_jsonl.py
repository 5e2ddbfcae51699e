"""Deprecated path: ``kimi_core.batch_jsonl`` is now ``kimi_core.batch.jsonl``.

Kept for one release so existing imports and pickles keep working; importing it warns with a
``DeprecationWarning`` naming the new path. Nothing in the package imports it.
"""

import warnings

from .batch.jsonl import *  # noqa: F403
from .batch.jsonl import __all__ as __all__

warnings.warn(
    "kimi_core.batch_jsonl moved to kimi_core.batch.jsonl; import from there "
    "(the old path goes away in the next release)",
    DeprecationWarning,
    stacklevel=2,
)
