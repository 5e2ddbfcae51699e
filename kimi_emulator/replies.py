"""What the emulator answers: a queued script, else a deterministic default.

Default replies (exact strings, so tests can assert them):

1. **Tool call** - when the request declares ``tools``, the last message is not a partial
   assistant prefix, and either the call is forced (``tool_choice`` ``"required"`` or
   ``{"type": "function", "function": {"name": ...}}``, or the last message is kimi_core's
   forced-tool hint, the user line sent where the model rejects a forced ``tool_choice``, see
   :mod:`turn`: forced means forced, even right after tool results) or ``tool_choice`` is not
   ``"none"`` and no ``tool`` message follows the last user message: one call of the tool
   :func:`choice.choose_tool` picks. In short: the named tool; unforced, the first declared
   tool the last user message mentions (whole word, case-sensitive), else the most relevant
   (name and description sharing the most words with it, :mod:`relevance`); forced
   before any tool result, the first mentioned, else the most relevant that is not a
   structured-output tool (the trailing tools with class-like names, as LangChain's
   ``ToolStrategy`` appends ``Report``); forced after tool results, the first
   structured-output tool, else the first mentioned, then declared, tool not called since the
   last user message, else as before any result - so forced agents end instead of looping.
   After a handoff (every result since the last user message answers a ``handoff`` /
   ``transfer_to_*`` tool, :mod:`handoffs`) the turn counts as fresh for the agent handed to,
   without the handoff tools. Content ``""``, ``finish_reason: "tool_calls"``, id
   ``"<name>:0"`` (the index restarts every turn, so ids repeat across turns, as the real API).
   Arguments: an official tool's from the user's words (:mod:`formula_arguments`), a
   structured-output tool's from its JSON schema (:func:`value_from_schema`), any other tool's
   from the conversation - a place named now or earlier, numbers, the question
   (:mod:`tool_arguments`). The builtin ``$web_search`` tool (``{"type": "builtin_function",
   "function": {"name": "$web_search"}}``) gets the arguments ``{"search_result": {"search_id":
   "search-<12 hex of sha256(last user text)>"}, "usage": {"total_tokens": 128}}`` and the call
   type ``"builtin_function"``.
2. Otherwise the **text** is, for a framework prompt that asks for a format, rule 7's answer;
   else, when ``tool`` messages follow the last user message, one line per tool result:
   ``The tool <name> returned: <content>`` (joined with ``"\\n"``; ``<name>`` is the message's
   ``name``, else the name of the call its ``tool_call_id`` answers; a content that is an
   encrypted web-search result, unchanged, is read as the model reads it: its plain text,
   ``formulas.decrypt``); else the echo ``You
   said: <last user text>`` (text parts of a list content joined with a space). The forced-tool
   hint is never the "last user message".
3. **JSON mode** (``response_format`` ``json_object``): the content is a JSON object instead:
   if a JSON schema (an object with ``"properties"``, also under ``schema`` / ``parameters`` /
   ``json_schema``) appears in a system or user message - e.g. LangChain's
   ``PydanticOutputParser`` format instructions, whose example schema comes first - the
   *last* one is filled by :mod:`structured` (a selector's choices, a knowledge graph's
   triplets, else placeholder values with non-empty arrays); else ``{"answer": "<the text of
   rule 2>"}``. ``response_format`` ``json_schema`` fills its ``json_schema.schema``. A
   structured-output tool's arguments are filled the same way. Serialised with
   ``json.dumps(obj, ensure_ascii=False)``.
4. **Partial mode** (last message ``{"role": "assistant", "partial": true, "content": P}``): the
   reply never repeats ``P``: if the text of rule 2 starts with ``P`` the rest is sent, else the
   whole text.
5. **Thinking** (the catalog's ``thinking`` kind is ``always`` or ``effort``, or ``toggle``
   and the request does not send ``thinking: {"type": "disabled"}``; see :mod:`validation`):
   ``reasoning_content`` comes first, whatever the ``reasoning_effort``:
   ``I should call <name>.`` for a tool call, ``I have the tool results.`` after tool results,
   ``Let me think about this.`` otherwise.
6. ``stop`` strings cut the content before the first match (``finish_reason: "stop"``);
   ``max_tokens`` or ``max_completion_tokens`` (the latter when both are sent) caps
   reasoning + content by :mod:`tokens` (``finish_reason: "length"``).
7. **Framework prompts** (:mod:`prompts` recognises them by phrases of the default templates;
   not in JSON mode). "Mentioned" below: the first listed tool whose name the question
   contains as a whole word, else the first listed; ``Q``: the question.

   - LlamaIndex ``LLMSingleSelector`` / ``LLMMultiSelector`` ("Some choices are given below.
     It is provided in a numbered list (1 to"): ``json.dumps([{"choice": N, "reason": "Choice
     N shares K words with the question."}, ...])``. ``K``: the distinct lowercase words of 4+
     letters or digits that choice ``(N)`` shares with the quoted question. Single: the
     highest ``K``, the lowest ``N`` on ties (choice 1 when nothing matches). Multi ("(no more
     than M"): every choice with ``K >= 1``, highest ``K`` then lowest ``N`` first, at most
     ``M``; choice 1 alone when none shares a word.
   - LlamaIndex ``LLMQuestionGenerator`` ("output a list of relevant sub-questions in json
     markdown"): the Python string '```json\\n' + json.dumps({"items": [{"sub_question": Q,
     "tool_name": T}, ...]}, indent=4, ensure_ascii=False) + '\\n```' - one item per tool
     ``T`` of the last ``<Tools>`` block, in its order; ``Q`` is the text between the last
     ``<User Question>`` and ``<Output>``, stripped.
   - LlamaIndex ReAct (a system message with "Action Input: the input to the tool, in a JSON
     format representing the kwargs" and "Thought: I can answer without using any more
     tools."): ``Q`` is the last user message not starting with ``Observation:``. If
     ``Observation: R`` messages follow it: ``Thought: I can answer without using any more
     tools. I'll use the user's language to answer\\nAnswer: The tool <A> returned: R`` (one
     line per observation; ``A`` is the ``Action:`` of the assistant message before it).
     Else, with tools listed (``> Tool Name: X`` ... ``Tool Args: {schema}``): ``Thought: I
     need to use a tool to help me answer the question.\\nAction: X\\nAction Input: <JSON
     arguments>`` for the mentioned ``X``, else the most relevant (name and "Tool Description"
     sharing the most words with ``Q``), its "Tool Args" filled as a tool call's (rule 1,
     :mod:`tool_arguments`); with none, the answer form with ``Answer: You said: Q``.
   - LangChain's classic ReAct (the user prompt has "Thought: you should always think about
     what to do" and "Final Answer: the final answer to the original input question"): tools
     from ``should be one of [a, b]``, ``Q`` after the last ``Question:``. When the scratchpad
     has ``Action: A`` ... ``Observation: R`` followed by ``Thought:``: ``I now know the final
     answer\\nFinal Answer: The tool A returned: R`` (one line per observation); else ``I need
     to use a tool to answer the question.\\nAction: X\\nAction Input: Q`` for the mentioned
     ``X``, else the most relevant (``Final Answer: You said: Q`` with no tools).
   - LlamaIndex evaluators (Faithfulness, Relevancy, Correctness): a verdict consistent with
     the context (:mod:`judges`); choice-select (``LLMRerank``, ``DocumentSummaryIndex``'s LLM
     retriever) and triplet extraction (``SimpleLLMPathExtractor``): lines parsed from the
     prompt's own listing or text, never its example (:mod:`listings`); RAG prompts
     (LlamaIndex text_qa / refine / tree_summarize, LangChain "Context: ... Question: ..."):
     the most relevant sentence of the context (:mod:`rag`).

   Anything else is answered by rules 1-6: queue the exact answer with
   :meth:`KimiEmulator.script <kimi_emulator.server.KimiEmulator.script>`.

Placeholder values (:func:`value_from_schema`, found with :func:`find_json_schema`): the
rules are in :mod:`schema_values`' docstring.

Scripted replies are sent exactly as given (no stop/max_tokens/partial processing); when the
model thinks and ``reasoning`` is ``None`` the default reasoning is added (pass ``""`` for
none).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from .choice import choose_tool, structured_output_tools, tool_name
from .formula_arguments import sample_arguments
from .formula_envelope import decrypt
from .handoffs import handed_off, is_handoff
from .prompts import framework_reply
from .schema_values import find_json_schema, value_from_schema
from .structured import structured_value
from .tokens import content_text, count_text, truncate_to_tokens
from .tool_arguments import question_arguments
from .turn import read_turn

if TYPE_CHECKING:
    from .validation import ChatRequest

__all__ = [
    "Reply",
    "ScriptedReply",
    "ToolCall",
    "build_reply",
    "find_json_schema",
    "value_from_schema",
]

WEB_SEARCH = "$web_search"
WEB_SEARCH_TOKENS = 128
REASONING_TEXT = "Let me think about this."
REASONING_TOOL_RESULTS = "I have the tool results."


@dataclass(frozen=True)
class ScriptedReply:
    """One scripted answer.

    ``tool_calls``: dicts ``{"name": str, "arguments": dict | str, "id": str (optional),
    "type": str (optional, default "function")}``; dict arguments are sent as
    ``json.dumps(arguments, ensure_ascii=False)``, str arguments verbatim (so malformed JSON
    can be tested).
    ``usage``: any of ``prompt_tokens``, ``completion_tokens``, ``total_tokens``,
    ``cached_tokens``; missing counts are computed.
    """

    content: str | None = None
    reasoning: str | None = None
    tool_calls: Sequence[Mapping[str, Any]] | None = None
    finish_reason: str | None = None
    usage: Mapping[str, int] | None = None


@dataclass
class ToolCall:
    id: str
    name: str
    arguments: str
    type: str = "function"


@dataclass
class Reply:
    """A resolved answer, ready for :mod:`wire`."""

    content: str
    reasoning: str | None
    tool_calls: list[ToolCall] = field(default_factory=list)
    finish_reason: str = "stop"
    usage: Mapping[str, int] | None = None


# --------------------------------------------------------------------------- default replies


def _tool_call_for(
    tool: Mapping[str, Any], user_text: str, messages: Sequence[Mapping[str, Any]], answer: bool
) -> ToolCall:
    name = tool_name(tool)
    if name == WEB_SEARCH or tool.get("type") == "builtin_function":
        digest = hashlib.sha256(user_text.encode("utf-8")).hexdigest()[:12]
        arguments: Any = {
            "search_result": {"search_id": f"search-{digest}"},
            "usage": {"total_tokens": WEB_SEARCH_TOKENS},
        }
        return ToolCall(f"{name}:0", name, json.dumps(arguments), "builtin_function")
    function = tool.get("function")
    schema = function.get("parameters") if isinstance(function, Mapping) else None
    value = sample_arguments(name, schema, user_text)
    if value is None and not answer:
        described = function.get("description") if isinstance(function, Mapping) else None
        value = question_arguments(schema, messages, user_text, name, str(described or ""))
    if value is None:
        value = structured_value(schema, user_text) if isinstance(schema, Mapping) else {}
    if not isinstance(value, dict):
        value = {}
    return ToolCall(f"{name}:0", name, json.dumps(value, ensure_ascii=False))


def _apply_limits(request: ChatRequest, reply: Reply) -> Reply:
    content = reply.content
    for stop in request.stop:
        if stop and stop in content:
            content = content[: content.index(stop)]
    reply.content = content
    if request.max_tokens is None:
        return reply
    budget = request.max_tokens
    reasoning = reply.reasoning or ""
    if reply.tool_calls:
        return reply
    if count_text(reasoning) + count_text(content) <= budget:
        return reply
    if count_text(reasoning) >= budget:
        reply.reasoning = truncate_to_tokens(reasoning, budget) if reply.reasoning else None
        reply.content = ""
    else:
        reply.content = truncate_to_tokens(content, budget - count_text(reasoning))
    reply.finish_reason = "length"
    return reply


def _reported(
    results: Sequence[Mapping[str, Any]], call_names: Mapping[str, str]
) -> list[Mapping[str, Any]]:
    """The results the answer reports: a handoff's result only when nothing else answered."""
    kept = [m for m in results if not handed_off([m], call_names)]
    return kept or list(results)


def default_reply(request: ChatRequest) -> Reply:
    """The deterministic answer described in the module docstring."""
    messages = request.messages[:-1] if request.partial_prefix is not None else request.messages
    turn = read_turn(messages)
    tools = request.tools
    if handed_off(turn.results, turn.call_names):  # the agent handed to starts afresh
        turn = replace(turn, results=[])
        tools = [t for t in tools if not is_handoff(tool_name(t))]
    user_text, results = turn.user_text, turn.results
    thinks = request.thinking
    forced = request.forced_tool or turn.hinted is not None
    wants_tool = (
        tools
        and request.partial_prefix is None
        and (forced or (request.tool_choice != "none" and not results))
    )
    if wants_tool:
        tool = choose_tool(tools, request.tool_choice, turn, forced)
        if tool is not None:
            answer = any(tool is t for t in structured_output_tools(request.tools))
            call = _tool_call_for(tool, user_text, messages, answer)
            return Reply(
                content="",
                reasoning=f"I should call {call.name}." if thinks else None,
                tool_calls=[call],
                finish_reason="tool_calls",
            )
    json_reply = request.json_mode or request.json_schema is not None
    framed = None if json_reply else framework_reply(messages)
    if framed is not None:
        text, reasoning = framed, REASONING_TEXT
    elif results:
        lines = []
        for message in _reported(results, turn.call_names):
            name = message.get("name") or turn.call_names.get(str(message.get("tool_call_id")), "")
            content = content_text(message.get("content"))
            lines.append(f"The tool {name} returned: {decrypt(content) or content}")
        text = "\n".join(lines)
        reasoning = REASONING_TOOL_RESULTS
    else:
        text = f"You said: {user_text}"
        reasoning = REASONING_TEXT
    if json_reply:
        schema = request.json_schema
        if schema is None:
            texts = [
                content_text(m.get("content"))
                for m in request.messages
                if m.get("role") in ("system", "user")
            ]
            schema = find_json_schema(texts)
        obj = structured_value(schema, user_text) if schema is not None else None
        if not isinstance(obj, dict):
            obj = {"answer": text}
        text = json.dumps(obj, ensure_ascii=False)
    prefix = request.partial_prefix
    if prefix and text.startswith(prefix):
        text = text[len(prefix) :]
    reply = Reply(content=text, reasoning=reasoning if thinks else None)
    return _apply_limits(request, reply)


def scripted_reply(script: ScriptedReply, request: ChatRequest) -> Reply:
    """A script made ready for the wire (ids ``<name>:<i>``, arguments JSON-encoded)."""
    calls: list[ToolCall] = []
    for i, spec in enumerate(script.tool_calls or ()):
        name = str(spec.get("name", ""))
        arguments = spec.get("arguments", {})
        if not isinstance(arguments, str):
            arguments = json.dumps(arguments, ensure_ascii=False)
        call_id = spec.get("id") or f"{name}:{i}"
        calls.append(ToolCall(str(call_id), name, arguments, str(spec.get("type") or "function")))
    reasoning = script.reasoning
    if reasoning is None and request.thinking:
        reasoning = f"I should call {calls[0].name}." if calls else REASONING_TEXT
    finish = script.finish_reason or ("tool_calls" if calls else "stop")
    return Reply(
        content=script.content or "",
        reasoning=reasoning or None,
        tool_calls=calls,
        finish_reason=finish,
        usage=script.usage,
    )


def build_reply(request: ChatRequest, script: ScriptedReply | None) -> Reply:
    return scripted_reply(script, request) if script is not None else default_reply(request)
