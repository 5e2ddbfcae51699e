"""The batch layer: many chat requests run as one Moonshot batch job.

Owns the JSONL files (``jsonl``: chat requests to input lines, result lines to answers),
the job (``job``: submit, wait, results in input order, resume by id; ``state`` holds what
is not I/O, ``submit`` the checks and the create-without-duplicates rule) and the
``client.batches`` object that adds ``submit`` / ``resume`` to the plain Batch API
(``api``).

May import: everything below it, ``kimi_core.resources`` included; it reaches the client
through the small protocol in ``state`` (``BatchClient``), never the client module.
"""
