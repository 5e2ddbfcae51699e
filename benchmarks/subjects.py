"""The clients under test, each behind one small uniform interface.

Every subject sends the same request (``model=kimi-k2.6``, one user message ``"hi"``) the way
its users would, and returns what it read, so the worker can check that the whole answer was
consumed: ``invoke``/``ainvoke`` return the reply text, ``stream``/``astream`` the number of
content characters received. Framework packages are imported lazily, inside the constructor, so
a missing or half-built package makes only its own subject unavailable.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import canned

API_KEY = "bench"
PROMPT = "hi"
# Sized like kimi_core's own default pool: the floor must not queue for connections either.
POOL_SIZE = 1000

Gate = Callable[[], Awaitable[None]]


def content_length(content: Any) -> int:
    """Characters of text in a LangChain message content (a str, or a list of blocks)."""
    if isinstance(content, str):
        return len(content)
    total = 0
    for block in content:
        if isinstance(block, str):
            total += len(block)
        elif isinstance(block, dict) and block.get("type") == "text":
            total += len(block.get("text") or "")
    return total


class Subject:
    """One client, built against ``base_url`` (``http://127.0.0.1:PORT/bench/<N>/v1``)."""

    name = ""
    #: The statement a user writes to get the client; timed in a fresh process.
    import_statement = ""
    #: Key of ``IMPORT_BASELINES`` that the import time is compared with (None: absolute).
    import_baseline: str | None = None

    def __init__(self, base_url: str) -> None:
        raise NotImplementedError

    def invoke(self) -> str:
        raise NotImplementedError

    def stream(self) -> int:
        raise NotImplementedError

    async def ainvoke(self) -> str:
        raise NotImplementedError

    async def astream(self, gate: Gate) -> int:
        """Consume one stream, awaiting ``gate()`` once right after its first chunk."""
        raise NotImplementedError

    def close(self) -> None:
        """Release pooled connections (sync part; async clients are left to process exit)."""


class Raw(Subject):
    """The floor: ``httpx`` plus ``json.loads``, nothing else."""

    name = "raw httpx"
    import_statement = "import httpx"

    def __init__(self, base_url: str) -> None:
        import httpx

        limits = httpx.Limits(max_connections=POOL_SIZE, max_keepalive_connections=POOL_SIZE)
        headers = {"Authorization": f"Bearer {API_KEY}"}
        self.url = base_url + "/chat/completions"
        self.payload: dict[str, Any] = {
            "model": canned.MODEL,
            "messages": [{"role": "user", "content": PROMPT}],
        }
        self.stream_payload = {**self.payload, "stream": True}
        self.client = httpx.Client(headers=headers, limits=limits)
        self.aclient = httpx.AsyncClient(headers=headers, limits=limits)

    def invoke(self) -> str:
        response = self.client.post(self.url, json=self.payload)
        data = json.loads(response.content)
        return str(data["choices"][0]["message"]["content"])

    def stream(self) -> int:
        total = 0
        with self.client.stream("POST", self.url, json=self.stream_payload) as response:
            for line in response.iter_lines():
                if line[:6] != "data: ":
                    continue
                data = line[6:]
                if data == "[DONE]":
                    break
                choices = json.loads(data)["choices"]
                if choices:
                    content = choices[0]["delta"].get("content")
                    if content:
                        total += len(content)
        return total

    async def ainvoke(self) -> str:
        response = await self.aclient.post(self.url, json=self.payload)
        data = json.loads(response.content)
        return str(data["choices"][0]["message"]["content"])

    async def astream(self, gate: Gate) -> int:
        total = 0
        first = True
        async with self.aclient.stream("POST", self.url, json=self.stream_payload) as response:
            async for line in response.aiter_lines():
                if line[:6] != "data: ":
                    continue
                if first:
                    first = False
                    await gate()
                data = line[6:]
                if data == "[DONE]":
                    break
                choices = json.loads(data)["choices"]
                if choices:
                    content = choices[0]["delta"].get("content")
                    if content:
                        total += len(content)
        return total

    def close(self) -> None:
        self.client.close()


class RawWithFramework(Raw):
    """The floor in a process that has also imported a framework (and used nothing of it).

    A reference, not a client: Python's full garbage collections walk every tracked object,
    and LangChain's or LlamaIndex's imports add 70–115k of them, so the same raw httpx calls
    get slower just by sharing a process with a framework. An adapter's figure compared with
    this row shows what the adapter itself adds; compared with the floor, what its users get.
    """

    framework_imports: tuple[str, ...] = ()
    import_statement = ""  # nothing to time: its import is the framework baseline's

    def __init__(self, base_url: str) -> None:
        import importlib

        for module in self.framework_imports:
            importlib.import_module(module)
        super().__init__(base_url)


class RawWithLangChain(RawWithFramework):
    name = "raw httpx + langchain_core loaded"
    # What a chat model's calls load: the chat-model base, messages, callbacks and tracers.
    framework_imports = (
        "langchain_core.language_models.chat_models",
        "langchain_core.tracers.langchain",
    )


class RawWithLlamaIndex(RawWithFramework):
    name = "raw httpx + llama_index.core loaded"
    framework_imports = ("llama_index.core", "llama_index.core.llms.function_calling")


class KimiCore(Subject):
    """``kimi_core.KimiClient`` itself: what both adapters build on."""

    name = "kimi_core"
    # What a user needs to make a call (a bare ``import kimi_core`` may load the client lazily).
    import_statement = "from kimi_core import KimiClient"

    def __init__(self, base_url: str) -> None:
        from kimi_core import AsyncKimiClient, KimiClient

        self.client = KimiClient(API_KEY, base_url, max_retries=0)
        self.aclient = AsyncKimiClient(API_KEY, base_url, max_retries=0)
        self.request = {"model": canned.MODEL, "messages": [{"role": "user", "content": PROMPT}]}

    def invoke(self) -> str:
        return self.client.chat(self.request).choices[0].message.text

    def stream(self) -> int:
        with self.client.chat_stream(self.request) as stream:
            for _chunk in stream:
                pass
            return len(stream.text)

    async def ainvoke(self) -> str:
        completion = await self.aclient.chat(self.request)
        return completion.choices[0].message.text

    async def astream(self, gate: Gate) -> int:
        first = True
        async with await self.aclient.chat_stream(self.request) as stream:
            async for _chunk in stream:
                if first:
                    first = False
                    await gate()
            return len(stream.text)

    def close(self) -> None:
        self.client.close()


class _LangChain(Subject):
    """A LangChain chat model: ``invoke`` / ``stream`` / ``ainvoke`` / ``astream`` on a str."""

    import_baseline = "langchain_core"
    llm: Any

    def invoke(self) -> str:
        message = self.llm.invoke(PROMPT)
        content = message.content
        return content if isinstance(content, str) else str(message.text)

    def stream(self) -> int:
        total = 0
        for chunk in self.llm.stream(PROMPT):
            content = chunk.content
            total += len(content) if isinstance(content, str) else content_length(content)
        return total

    async def ainvoke(self) -> str:
        message = await self.llm.ainvoke(PROMPT)
        content = message.content
        return content if isinstance(content, str) else str(message.text)

    async def astream(self, gate: Gate) -> int:
        total = 0
        first = True
        async for chunk in self.llm.astream(PROMPT):
            if first:
                first = False
                await gate()
            content = chunk.content
            total += len(content) if isinstance(content, str) else content_length(content)
        return total


class ChatKimiSubject(_LangChain):
    name = "ChatKimi"
    import_statement = "from langchain_kimi import ChatKimi"

    def __init__(self, base_url: str) -> None:
        from langchain_kimi import ChatKimi

        self.llm = ChatKimi(model=canned.MODEL, api_key=API_KEY, base_url=base_url, max_retries=0)


class MinimalLangChainSubject(_LangChain):
    """Reference: the least a LangChain adapter can do on kimi_core (minimal_langchain.py)."""

    name = "LangChain floor (minimal adapter)"
    import_statement = ""

    def __init__(self, base_url: str) -> None:
        from minimal_langchain import MinimalChatModel

        self.llm = MinimalChatModel(model=canned.MODEL, api_key=API_KEY, base_url=base_url)


class ChatOpenAISubject(_LangChain):
    name = "ChatOpenAI"
    import_statement = "from langchain_openai import ChatOpenAI"

    def __init__(self, base_url: str) -> None:
        from langchain_openai import ChatOpenAI

        self.llm = ChatOpenAI(model=canned.MODEL, api_key=API_KEY, base_url=base_url, max_retries=0)


class ChatMoonshotSubject(_LangChain):
    name = "ChatMoonshot"
    import_statement = "from langchain_moonshot import ChatMoonshot"

    def __init__(self, base_url: str) -> None:
        from langchain_moonshot import ChatMoonshot

        self.llm = ChatMoonshot(  # type: ignore[call-arg]  # mypy misses the "model" alias
            model=canned.MODEL, api_key=API_KEY, base_url=base_url, max_retries=0
        )


class _LlamaIndex(Subject):
    """A LlamaIndex LLM: ``chat`` / ``stream_chat`` / ``achat`` / ``astream_chat``."""

    import_baseline = "llama_index.core"
    llm: Any

    def __init__(self) -> None:
        from llama_index.core.llms import ChatMessage

        self.messages = [ChatMessage(role="user", content=PROMPT)]

    def invoke(self) -> str:
        return str(self.llm.chat(self.messages).message.content)

    def stream(self) -> int:
        total = 0
        for response in self.llm.stream_chat(self.messages):
            delta = response.delta
            if delta:
                total += len(delta)
        return total

    async def ainvoke(self) -> str:
        response = await self.llm.achat(self.messages)
        return str(response.message.content)

    async def astream(self, gate: Gate) -> int:
        total = 0
        first = True
        async for response in await self.llm.astream_chat(self.messages):
            if first:
                first = False
                await gate()
            delta = response.delta
            if delta:
                total += len(delta)
        return total


class KimiSubject(_LlamaIndex):
    name = "Kimi (LlamaIndex)"
    import_statement = "from llama_index_kimi import Kimi"

    def __init__(self, base_url: str) -> None:
        super().__init__()
        from llama_index_kimi import Kimi

        self.llm = Kimi(model=canned.MODEL, api_key=API_KEY, base_url=base_url, max_retries=0)


class MinimalLlamaIndexSubject(_LlamaIndex):
    """Reference: the least a LlamaIndex adapter can do on kimi_core (minimal_llama_index.py)."""

    name = "LlamaIndex floor (minimal adapter)"
    import_statement = ""

    def __init__(self, base_url: str) -> None:
        super().__init__()
        from minimal_llama_index import MinimalLLM

        self.llm = MinimalLLM(model=canned.MODEL, api_key=API_KEY, base_url=base_url)


class OpenAILikeSubject(_LlamaIndex):
    name = "OpenAILike"
    import_statement = "from llama_index.llms.openai_like import OpenAILike"

    def __init__(self, base_url: str) -> None:
        super().__init__()
        from llama_index.llms.openai_like import OpenAILike

        self.llm = OpenAILike(
            model=canned.MODEL,
            api_base=base_url,
            api_key=API_KEY,
            is_chat_model=True,
            max_retries=0,
        )


#: Keys are what ``--only`` accepts (case-insensitive); order is the table's row order.
SUBJECTS: dict[str, type[Subject]] = {
    "raw": Raw,
    "raw+langchain": RawWithLangChain,
    "raw+llama_index": RawWithLlamaIndex,
    "kimi_core": KimiCore,
    "lc-floor": MinimalLangChainSubject,
    "ChatKimi": ChatKimiSubject,
    "li-floor": MinimalLlamaIndexSubject,
    "Kimi": KimiSubject,
    "ChatOpenAI": ChatOpenAISubject,
    "OpenAILike": OpenAILikeSubject,
    "ChatMoonshot": ChatMoonshotSubject,
}

#: What each framework costs to import on its own: the adapters' import targets are ratios to it.
IMPORT_BASELINES: dict[str, str] = {
    "langchain_core": "from langchain_core.language_models import BaseChatModel",
    "llama_index.core": "import llama_index.core",
}
