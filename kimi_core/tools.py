"""Deprecated path: ``kimi_core.tools`` is now ``kimi_core.chat.tools``.

Kept for one release so existing imports and pickles keep working; importing it warns with a
``DeprecationWarning`` naming the new path. Nothing in the package imports it.
"""

import warnings

from .chat.tools import *  # noqa: F403
from .chat.tools import __all__ as __all__

warnings.warn(
    "kimi_core.tools moved to kimi_core.chat.tools; import from there "
    "(the old path goes away in the next release)",
    DeprecationWarning,
    stacklevel=2,
)
