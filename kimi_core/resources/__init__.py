"""The resources layer: Kimi's REST endpoints other than chat, as openai-python has them.

Owns ``client.files``, ``client.models``, ``client.formulas`` (official tools), the plain
Batch API (``batches``: create, retrieve, cancel, list) and token counting (``tokenizers``).
Each resource gets the client's send function and shares its request building and parsing
between a sync and an async class; only the I/O differs.

May import: everything below it (``errors``, ``wire``, ``types``, ``catalog``, ``limits``,
``chat``, ``options``, ``transport``).
"""
