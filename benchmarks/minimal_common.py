"""What both minimal adapters share, framework-free: the request, a chunk's deltas, the clients.

The minimal adapters (``minimal_langchain.py``, ``minimal_llama_index.py``) are reference rows:
the least a LangChain or a LlamaIndex adapter can do on ``kimi_core``. Each lives in its own
module and imports only its own framework, so its process carries only that framework's heap
(full garbage collections walk every tracked object, so a second framework's 100k+ objects
would make the reference slower than the adapter it is compared with).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, PrivateAttr

from kimi_core import AsyncKimiClient, KimiClient

__all__ = ["CoreClients", "deltas", "request"]


def request(model: str, text: str) -> dict[str, Any]:
    return {"model": model, "messages": [{"role": "user", "content": text}]}


def deltas(chunk: dict[str, Any]) -> tuple[str | None, str | None]:
    """(content, reasoning) of a stream chunk dict."""
    choices = chunk["choices"]
    if not choices:
        return None, None
    delta = choices[0]["delta"]
    return delta.get("content"), delta.get("reasoning_content")


class CoreClients(BaseModel):
    """The fields and the two kimi_core clients both minimal adapters are built with."""

    model: str
    api_key: str
    base_url: str
    _client: KimiClient = PrivateAttr()
    _aclient: AsyncKimiClient = PrivateAttr()

    def model_post_init(self, context: Any) -> None:
        self._client = KimiClient(self.api_key, self.base_url, max_retries=0)
        self._aclient = AsyncKimiClient(self.api_key, self.base_url, max_retries=0)
