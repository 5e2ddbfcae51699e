"""``Kimi``'s function-calling methods, as LlamaIndex's ``FunctionCallingLLM`` asks for them:
the ``chat`` arguments of a tool-calling turn and the tool calls read back. Kimi's rules for
``tool_choice`` and parallel calls live in the core (``kimi_core.chat.tool_choice``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from llama_index.core.base.llms.types import ChatMessage, ChatResponse, MessageRole
from llama_index.core.llms.llm import ToolSelection

from .utils import tool_selections

if TYPE_CHECKING:
    from llama_index.core.tools.types import BaseTool

__all__ = ["ToolCallingMethods"]


class ToolCallingMethods:
    """Mixed into ``Kimi`` before ``FunctionCallingLLM``."""

    def _prepare_chat_with_tools(
        self,
        tools: Sequence[BaseTool],
        user_msg: str | ChatMessage | None = None,
        chat_history: list[ChatMessage] | None = None,
        verbose: bool = False,
        allow_parallel_tool_calls: bool = False,
        tool_required: bool = False,
        tool_choice: str | dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """The ``chat`` arguments for a tool-calling turn.

        A forced choice (``tool_required`` or a tool name) is passed on as ``tool_choice``;
        the core turns it into something Kimi accepts (see the class docstring).
        """
        kwargs.pop("strict", None)  # Kimi has no strict mode for tools
        specs = [tool.metadata.to_openai_tool(skip_length_check=True) for tool in tools]
        messages = list(chat_history or [])
        if isinstance(user_msg, str):
            user_msg = ChatMessage(role=MessageRole.USER, content=user_msg)
        if user_msg is not None:
            messages.append(user_msg)
        if specs and tool_choice is None:
            tool_choice = "required" if tool_required else "auto"
        return {
            "messages": messages,
            "tools": specs or None,
            "tool_choice": tool_choice if specs else None,
            # The core keeps only the first call when False (streamed or not).
            "parallel_tool_calls": allow_parallel_tool_calls if specs else None,
            **kwargs,
        }

    def _validate_chat_with_tools_response(
        self,
        response: ChatResponse,
        tools: Sequence[BaseTool],
        allow_parallel_tool_calls: bool = False,
        **kwargs: Any,
    ) -> ChatResponse:
        """Nothing left to do: ``allow_parallel_tool_calls=False`` went to the request as
        ``parallel_tool_calls``, and the core kept the first call."""
        return response

    def get_tool_calls_from_response(
        self, response: ChatResponse, error_on_no_tool_call: bool = True, **kwargs: Any
    ) -> list[ToolSelection]:
        """Tool calls with Kimi's ids; arguments that are not valid JSON become ``{}``."""
        selections = tool_selections(response.message)
        if not selections and error_on_no_tool_call:
            raise ValueError("Expected at least one tool call, but got 0 tool calls.")
        return selections
