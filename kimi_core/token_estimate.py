"""Deprecated path: ``kimi_core.token_estimate`` is now ``kimi_core.catalog.token_estimate``.

Kept for one release so existing imports and pickles keep working; importing it warns with a
``DeprecationWarning`` naming the new path. Nothing in the package imports it.
"""

import warnings

from .catalog.token_estimate import *  # noqa: F403
from .catalog.token_estimate import __all__ as __all__

warnings.warn(
    "kimi_core.token_estimate moved to kimi_core.catalog.token_estimate; import from there "
    "(the old path goes away in the next release)",
    DeprecationWarning,
    stacklevel=2,
)
