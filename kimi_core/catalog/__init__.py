"""The catalog layer: what the package knows before any request.

Owns the model catalog (``model_info``: what each model can do, how it is steered, its
prices and lifecycle), where Kimi is served (``hosts``: gateways, base URLs, keys), what an
answer cost (``prices``) and the offline token estimate (``token_estimate``). Data and pure
functions; no I/O.

May import: ``kimi_core.errors``, ``kimi_core.wire``, ``kimi_core.types``.

``kimi_core.catalog`` itself keeps the names the old flat ``kimi_core.catalog`` module had
(``get_model_info``, ``CATALOG``, ``DEFAULT_MODEL``, ...), so code and pickles that name it
keep working.
"""

from .model_info import *  # noqa: F403  (the old module's public names, unchanged)
from .model_info import __all__ as _model_info_all

__all__ = list(_model_info_all)
