"""Deprecated path: ``kimi_core.cost`` is now ``kimi_core.catalog.prices``.

Kept for one release so existing imports and pickles keep working; importing it warns with a
``DeprecationWarning`` naming the new path. Nothing in the package imports it.
"""

import warnings

from .catalog.prices import *  # noqa: F403
from .catalog.prices import __all__ as __all__

warnings.warn(
    "kimi_core.cost moved to kimi_core.catalog.prices; import from there "
    "(the old path goes away in the next release)",
    DeprecationWarning,
    stacklevel=2,
)
