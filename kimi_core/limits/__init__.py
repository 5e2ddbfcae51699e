"""The rate-limit layer: requests, tokens and concurrent calls per account.

Owns the in-process limiter (``limiter``: ``RateLimits``, ``RateLimiter``, leases, the tier
presets, ``X-RateLimit-*`` reading) and the one shared through Redis (``redis_limiter``, the
``redis`` extra, imported only when asked for).

May import: ``kimi_core.errors``, ``kimi_core.wire``.
"""
