"""The transport layer: HTTP to Kimi, once, for every resource.

Owns the base client (``base``: configuration, request building, the send loop with its
retries), one call's attempts (``attempts``) and the retry rules (``retry``), streamed
answers (``stream``), reading plain answers (``responses``) and one connection pool per event
loop (``loop_pools``).

May import: ``kimi_core.errors``, ``wire``, ``types``, ``catalog``, ``limits``, ``chat``,
``kimi_core.options`` and ``kimi_core._fastpath``.
"""
