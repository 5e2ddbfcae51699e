"""Deprecated path: ``kimi_core.messages`` is now ``kimi_core.chat.messages``.

Kept for one release so existing imports and pickles keep working; importing it warns with a
``DeprecationWarning`` naming the new path. Nothing in the package imports it.
"""

import warnings

from .chat.messages import *  # noqa: F403
from .chat.messages import __all__ as __all__

warnings.warn(
    "kimi_core.messages moved to kimi_core.chat.messages; import from there "
    "(the old path goes away in the next release)",
    DeprecationWarning,
    stacklevel=2,
)
