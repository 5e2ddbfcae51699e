"""The wire layer: Kimi's JSON as plain dicts, read and written without any policy.

Owns the readers every other layer shares: answer messages, text, reasoning and tool calls
(``answer``), usage in every gateway's shape (``usage``), server-sent events (``sse``), the
JSON request body (``json``) and ids confined to one URL path segment (``paths``). Plain
dict and string work, microseconds per call, so the hot path stays cheap.

May import: ``kimi_core.errors`` only (and the standard library).
"""
