"""The Formula API of the emulator: Moonshot's official tools, with deterministic outputs.

Routes (moonshot dialect only: no gateway is known to serve formulas, docs/kimi-api/
official-tools.md §9): ``GET /formulas/{uri}/tools`` → ``{"object": "list", "tools": [...]}``
and ``POST /formulas/{uri}/fibers`` ``{"name", "arguments": "<json string>"}`` → a fiber
``{id, object: "fiber", created_at, lambda_id, status, context: {input, output |
encrypted_output | error}, formula, organization_id, project_id}`` (§4).

This module is the HTTP side (:func:`tools_body`, :func:`run_fiber`) and the one import path
for the Formula API's names; the parts live by concern in :mod:`formula_tools` (the
declarations), :mod:`formula_runs` (what each formula computes), :mod:`formula_envelope` (the
encrypted web-search result) and :mod:`formula_arguments` (how the chat model calls them).

The declarations' parameter schemas are the live ones (§3, §6: names, types, enums, defaults,
required; fetch's titles, bounds and schema description too), their descriptions short English
paraphrases. What each formula answers:

- ``moonshot/web-search:latest`` (``web_search``): *protected*, so only
  ``context.encrypted_output``: the real markers (``----MOONSHOT ENCRYPTED BEGIN----`` ...
  ``----MOONSHOT ENCRYPTED END----``) around ``<base64>.<digest>`` of the JSON ``{"query",
  "results": [{"title", "url", "snippet"}]}`` of two fixed results (:func:`search_results`).
  The emulator's chat model reads it back (:func:`decrypt`) when the blob returns unchanged
  in a tool message, as the real model does.
- ``fetch``: ``URL: <url>\\nTitle: Kimi emulator page\\n\\n<fixed text>``, cut by
  ``start_index`` / ``max_length`` (the live format); a URL that is not http(s) fails.
- ``convert``: length, mass, temperature and time units, ``"<value> <from> = <result> <to>"``
  with the result rounded to 2 places (the live format: ``72.0 °F = 22.22 °C``); other units
  (currencies included) fail.
- ``date``: on the emulator's clock (``KimiEmulator.set_clock``): ``time`` (``zone``, default
  UTC; ``format``, default ``%Y-%m-%d %H:%M:%S``), ``between`` (``"<n> days"``), ``add`` /
  ``subtract`` (``days``), ``convert`` (``from_zone`` → ``to_zone``).
- ``base64`` (``base64_encode`` / ``base64_decode``): real base64 in ``encoding``.
- ``code-runner`` (``code_runner``) and ``quickjs``: the canned :data:`CODE_RUNNER_OUTPUT` /
  :data:`QUICKJS_OUTPUT` (no code is ever run).
- ``memory``: ``store`` / ``retrieve`` / ``delete`` / ``list`` on a store kept until
  ``reset()`` (``ttl`` ignored); ``retrieve`` answers the data's JSON (the live format).
- ``excel``: a plugin manifest (``{"type": "_plugin", "_plugin": {name, description,
  functions}}``, the live shape) with ``read_file``, ``list_sheets`` and ``head``, run as
  ``excel.<fn>`` (a bare name is no match, as live) on CSV files uploaded to the emulator;
  an unknown file answers a succeeded fiber whose output starts with ``ERROR:`` (live).
- ``rethink``: the fixed live answer :data:`RETHINK_OUTPUT`; ``random-choice``: seeded
  choices (seed 0 when none is given), ``simple`` / ``json`` / ``detailed`` formats;
  ``mew`` (``mew_generator``): a fixed sound and blessing per mood.

Errors [docs §3, §4]: an unknown URI → 404 ``resource_not_found_error`` "formula not found"
(the live text); a body that is not an object, a missing ``name`` or non-string
``arguments`` → 400 ``invalid_request_error``; a name the formula does not declare → 400
"no matching lambda found" (the live text; the status is assumed). A fiber that runs and
fails (bad arguments, a missing required one, an impossible conversion, a queued
``fail_next_fiber``) answers 200 with ``status: "failed"`` and the message in
``context.error`` (the status value and field are assumed).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from typing import Any

from .formula_arguments import sample_arguments
from .formula_envelope import ENCRYPTED_BEGIN, ENCRYPTED_END, decrypt, encrypt, search_results
from .formula_runs import (
    CODE_RUNNER_OUTPUT,
    FETCH_TEXT,
    QUICKJS_OUTPUT,
    RETHINK_OUTPUT,
    FiberFailure,
    FormulaEnv,
)
from .formula_tools import FORMULAS

__all__ = [
    "CODE_RUNNER_OUTPUT",
    "ENCRYPTED_BEGIN",
    "ENCRYPTED_END",
    "FETCH_TEXT",
    "FORMULAS",
    "NOT_FOUND",
    "QUICKJS_OUTPUT",
    "RETHINK_OUTPUT",
    "FiberFailure",
    "FiberRequestError",
    "FormulaEnv",
    "decrypt",
    "encrypt",
    "run_fiber",
    "sample_arguments",
    "search_results",
    "tools_body",
]

NOT_FOUND = "formula not found"
NO_LAMBDA = "no matching lambda found"
ORGANIZATION = "org-emulator"
PROJECT = "proj-emulator"
_ID_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


def tools_body(uri: str) -> dict[str, Any] | None:
    """The ``GET .../tools`` answer for ``uri`` (None: not a formula)."""
    formula = FORMULAS.get(uri)
    return None if formula is None else {"object": "list", "tools": formula.tools}


def _new_id(prefix: str) -> str:
    return prefix + "".join(secrets.choice(_ID_ALPHABET) for _ in range(20))


class FiberRequestError(Exception):
    """A fiber request answered with an HTTP error (``status``, ``type``, ``message``)."""

    def __init__(self, status: int, type_: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.type = type_
        self.message = message


def run_fiber(
    uri: str, body: Any, env: FormulaEnv, failure: Callable[[], str | None] = lambda: None
) -> dict[str, Any]:
    """The fiber for one ``POST .../fibers``, or a :class:`FiberRequestError` for the HTTP
    errors (module docstring). ``failure`` gives a queued ``fail_next_fiber`` message; it is
    asked only for a fiber that runs, so a refused request consumes none."""
    formula = FORMULAS.get(uri)
    if formula is None:
        raise FiberRequestError(404, "resource_not_found_error", NOT_FOUND)
    if not isinstance(body, dict):
        raise FiberRequestError(
            400, "invalid_request_error", "Invalid request: the request body must be a JSON object"
        )
    name, arguments = body.get("name"), body.get("arguments", "{}")
    if not isinstance(name, str) or not name:
        raise FiberRequestError(400, "invalid_request_error", "Invalid request: name is required")
    if not isinstance(arguments, str):
        raise FiberRequestError(
            400, "invalid_request_error", "Invalid request: arguments must be a JSON string"
        )
    runner = formula.runners.get(name)
    if runner is None:
        raise FiberRequestError(400, "invalid_request_error", NO_LAMBDA)
    context: dict[str, Any] = {"input": json.dumps(body, ensure_ascii=False, separators=(",", ":"))}
    status = "succeeded"
    try:
        queued = failure()
        if queued is not None:
            raise FiberFailure(queued)
        try:
            args = json.loads(arguments) if arguments.strip() else {}
        except ValueError as exc:
            raise FiberFailure(f"arguments is not valid JSON: {exc}") from None
        if not isinstance(args, dict):
            raise FiberFailure("arguments must be a JSON object")
        output = runner(name, args, env)
    except FiberFailure as exc:
        status, context["error"] = "failed", str(exc)
    else:
        context["encrypted_output" if output.encrypted else "output"] = output.text
    return {
        "id": _new_id("fiber-"),
        "object": "fiber",
        "created_at": int(env.now()),
        "lambda_id": _new_id("lambda-"),
        "status": status,
        "context": context,
        "formula": uri,
        "organization_id": ORGANIZATION,
        "project_id": PROJECT,
    }
