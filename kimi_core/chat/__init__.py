"""The chat layer: Kimi's rules for one chat turn, per model, as plain dict work (no httpx).

Owns building and checking a request (``request``, ``messages``, ``content``, ``thinking``,
``tool_choice``, ``tools``, ``structured``), folding a streamed answer (``accumulator``) and
driving one turn over as many builtin-tool rounds as it takes (``turn``). Both adapters and
the batch writer build every request here, so a rule lives once.

May import: ``kimi_core.errors``, ``kimi_core.wire``, ``kimi_core.types``,
``kimi_core.catalog``.
"""
