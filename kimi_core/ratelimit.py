"""Deprecated path: ``kimi_core.ratelimit`` is now ``kimi_core.limits.limiter``.

Kept for one release so existing imports and pickles keep working; importing it warns with a
``DeprecationWarning`` naming the new path. Nothing in the package imports it.
"""

import warnings

from .limits.limiter import *  # noqa: F403
from .limits.limiter import __all__ as __all__

warnings.warn(
    "kimi_core.ratelimit moved to kimi_core.limits.limiter; import from there "
    "(the old path goes away in the next release)",
    DeprecationWarning,
    stacklevel=2,
)
