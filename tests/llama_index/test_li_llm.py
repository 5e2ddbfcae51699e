"""``Kimi`` itself: construction, metadata, request building, the eight entry points,
thinking, errors, secrets, instrumentation and rate limiters."""

from __future__ import annotations

import asyncio
import inspect
import pickle
import types
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from li_helpers import API_KEY, chat_requests
from llama_index.core.base.llms.base import BaseLLM
from llama_index.core.base.llms.types import ChatMessage, LLMMetadata, TextBlock, ThinkingBlock
from llama_index.core.instrumentation import get_dispatcher  # type: ignore[attr-defined]
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.instrumentation.events import BaseEvent
from llama_index.core.instrumentation.events.llm import (
    LLMChatEndEvent,
    LLMChatInProgressEvent,
    LLMChatStartEvent,
    LLMCompletionEndEvent,
    LLMCompletionStartEvent,
)
from llama_index.core.instrumentation.span import SimpleSpan
from llama_index.core.instrumentation.span_handlers import SimpleSpanHandler
from pydantic import PrivateAttr

from kimi_core import RateLimiter, RateLimits
from kimi_core.catalog.model_info import FixedSamplingWarning
from kimi_core.errors import (
    AuthenticationError,
    ConfigurationError,
    InvalidParameterError,
    NotFoundError,
    RateLimitError,
    StreamInterruptedError,
)
from kimi_emulator import KimiEmulator
from llama_index_kimi import Kimi

HI = [ChatMessage(role="user", content="Hi")]


# -- construction and metadata -------------------------------------------------------------


def test_missing_key_fails_at_construction(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MOONSHOT_API_KEY", raising=False)
    monkeypatch.delenv("KIMI_API_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="MOONSHOT_API_KEY"):
        Kimi()


def test_key_from_environment_and_resolved_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOONSHOT_API_KEY", "sk-from-env")
    llm = Kimi(gateway="moonshot-global")
    assert llm.client.api_key.get_secret_value() == "sk-from-env"
    assert llm.base_url == "https://api.moonshot.ai/v1"
    assert llm.to_dict()["base_url"] == "https://api.moonshot.ai/v1"


@pytest.mark.parametrize(
    ("model", "kwargs", "context", "output", "tools"),
    [
        ("kimi-k2.6", {}, 262_144, 32_768, True),
        ("kimi-k3", {}, 1_048_576, 131_072, True),  # the server's default output
        ("kimi-k2-0711-preview", {}, 131_072, 65_536, True),  # no default known: half
        ("moonshot-v1-8k", {}, 8_192, 4_096, True),  # the window counts input + output
        ("moonshot-v1-8k", {"max_tokens": 1000}, 8_192, 1_000, True),
        ("kimi-k3-future", {}, 131_072, 8_192, True),
        ("kimi-k3-future", {"context_window": 500_000}, 500_000, 8_192, True),
    ],
)
def test_metadata_comes_from_the_catalog(
    model: str, kwargs: dict[str, Any], context: int, output: int, tools: bool
) -> None:
    metadata = Kimi(model=model, api_key=API_KEY, **kwargs).metadata
    assert metadata.context_window == context
    assert metadata.num_output == output
    assert metadata.is_chat_model is True
    assert metadata.is_function_calling_model is tools
    assert metadata.model_name == model


@pytest.mark.parametrize(
    ("model", "kwargs"),
    [
        ("kimi-k2.6", {}),
        ("moonshot-v1-8k", {"max_tokens": 1000}),
        ("kimi-k3-future", {"context_window": 500_000}),
        (None, {}),
    ],
)
def test_to_payload_is_the_base_payload_in_a_fresh_dict(
    model: str | None, kwargs: dict[str, Any]
) -> None:
    """LlamaIndex puts ``to_payload()`` in every call's events; Kimi caches the metadata dump."""
    if not hasattr(BaseLLM, "to_payload"):
        pytest.skip("llama-index-core < 0.14.24 has no BaseLLM.to_payload to compare with")
    llm = Kimi(model=model, api_key=API_KEY, **kwargs)
    payload = llm.to_payload()
    assert payload == BaseLLM.to_payload(llm)
    payload["model_name"] = "changed by a handler"
    assert llm.to_payload() == BaseLLM.to_payload(llm)
    llm.max_tokens = 123  # settings are read on every call, not when first cached
    assert llm.to_payload()["num_output"] == 123
    assert llm.to_payload() == BaseLLM.to_payload(llm)


def test_to_payload_of_a_subclass_with_its_own_metadata() -> None:
    class Custom(Kimi):
        @property
        def metadata(self) -> LLMMetadata:
            return LLMMetadata(model_name="custom", context_window=1_000)

    payload = Custom(api_key=API_KEY).to_payload()
    assert payload["model_name"] == "custom"
    assert payload["context_window"] == 1_000


def test_class_name_and_public_clients_are_pooled_once() -> None:
    llm = Kimi(api_key=API_KEY)
    assert Kimi.class_name() == "kimi_llm"
    assert llm.client is llm.client
    assert llm.async_client is llm.async_client


# -- secrets -------------------------------------------------------------------------------

SECRET = "sk-very-secret-0123456789"


def test_key_never_in_repr_dict_json_or_payload() -> None:
    llm = Kimi(api_key=SECRET, default_headers={"X-Team": "research"})
    for text in (repr(llm), str(llm), str(llm.to_dict()), llm.to_json(), str(llm.to_payload())):
        assert SECRET not in text
    assert "api_key" not in llm.to_dict()
    assert "default_headers" not in llm.to_dict()
    assert SECRET not in repr(llm.client)


def test_key_never_in_exceptions(make_llm: Callable[..., Kimi], kimi_emulator_factory: Any) -> None:
    emu = kimi_emulator_factory(api_key="the-right-key")
    llm = make_llm(api_key=SECRET, base_url=emu.base_url)
    with pytest.raises(AuthenticationError) as info:
        llm.chat(HI)
    assert info.value.status == 401
    for text in (str(info.value), repr(info.value), str(info.value.body), str(info.value.headers)):
        assert SECRET not in text


def test_round_trip_from_dict_keeps_settings_not_key(monkeypatch: pytest.MonkeyPatch) -> None:
    llm = Kimi(api_key=SECRET, model="kimi-k2-turbo-preview", temperature=0.3, thinking=False)
    monkeypatch.setenv("MOONSHOT_API_KEY", "sk-other")
    rebuilt = Kimi.from_dict(llm.to_dict())
    assert (rebuilt.model, rebuilt.temperature, rebuilt.thinking) == (
        "kimi-k2-turbo-preview",
        0.3,
        False,
    )
    assert rebuilt.client.api_key.get_secret_value() == "sk-other"


def test_pickle_carries_settings_never_the_key(
    monkeypatch: pytest.MonkeyPatch, emu: KimiEmulator
) -> None:
    llm = Kimi(api_key=SECRET, base_url=emu.base_url, thinking=False, max_tokens=99)
    data = pickle.dumps(llm)
    assert SECRET.encode() not in data
    monkeypatch.setenv("MOONSHOT_API_KEY", "sk-in-the-worker")
    copy = pickle.loads(data)
    assert (copy.thinking, copy.max_tokens, copy.base_url) == (False, 99, emu.base_url)
    assert copy.client.api_key.get_secret_value() == "sk-in-the-worker"
    assert copy.chat(HI).message.content == "You said: Hi"
    copy.close()
    monkeypatch.delenv("MOONSHOT_API_KEY")
    monkeypatch.delenv("KIMI_API_KEY", raising=False)
    # No key in this process: unpickling works, the first call says what is missing ...
    keyless = pickle.loads(data)
    sent = len(chat_requests(emu))
    with pytest.raises(ConfigurationError) as caught:
        keyless.chat(HI)
    assert caught.value.param == "api_key"
    assert len(chat_requests(emu)) == sent  # nothing was sent
    # ... and once the key is there, the same object works.
    monkeypatch.setenv("MOONSHOT_API_KEY", "sk-set-later")
    assert keyless.chat(HI).message.content == "You said: Hi"
    assert keyless.client.api_key.get_secret_value() == "sk-set-later"
    keyless.close()


# -- request building ----------------------------------------------------------------------


def test_unset_sampling_values_are_not_sent(emu: KimiEmulator, llm: Kimi) -> None:
    llm.chat(HI)
    body = chat_requests(emu)[0]
    assert body == {"model": "kimi-k2.6", "messages": [{"role": "user", "content": "Hi"}]}


def test_set_sampling_values_and_additional_kwargs_are_sent(
    emu: KimiEmulator, make_llm: Callable[..., Kimi]
) -> None:
    llm = make_llm(
        model="moonshot-v1-32k",
        temperature=0.3,
        max_tokens=200,
        top_p=0.9,
        frequency_penalty=0.1,
        presence_penalty=0.2,
        stop=["END"],
        additional_kwargs={"user": "u-1"},
    )
    llm.chat(HI)
    body = chat_requests(emu)[0]
    assert {k: v for k, v in body.items() if k != "messages"} == {
        "model": "moonshot-v1-32k",
        "temperature": 0.3,
        "max_completion_tokens": 200,
        "top_p": 0.9,
        "frequency_penalty": 0.1,
        "presence_penalty": 0.2,
        "stop": ["END"],
        "user": "u-1",
    }


def test_per_call_overrides_win(emu: KimiEmulator, make_llm: Callable[..., Kimi]) -> None:
    llm = make_llm(model="moonshot-v1-32k", temperature=0.3)
    response = llm.chat(HI, model="moonshot-v1-8k", temperature=0.5, max_tokens=64)
    body = chat_requests(emu)[0]
    assert (body["model"], body["temperature"], body["max_completion_tokens"]) == (
        "moonshot-v1-8k",
        0.5,
        64,
    )
    assert response.raw["model"] == "moonshot-v1-8k"


def test_forbidden_k25_sampling_value_fails_at_construction_when_strict() -> None:
    with pytest.raises(InvalidParameterError, match="temperature") as info:
        Kimi(api_key=API_KEY, temperature=0.3, strict_sampling=True)
    assert info.value.param == "temperature"
    with pytest.raises(InvalidParameterError, match="top_p"):
        Kimi(api_key=API_KEY, top_p=0.5, strict_sampling=True)
    # The fixed values themselves are accepted (0.6 is k2.6's value with thinking off).
    strict = Kimi(api_key=API_KEY, temperature=0.6, thinking=False, strict_sampling=True)
    assert strict.temperature == 0.6


def test_fixed_sampling_value_at_construction_is_dropped_with_a_warning(
    emu: KimiEmulator, make_llm: Callable[..., Kimi], fresh_sampling_warnings: None
) -> None:
    # Issue 25: ``Kimi(temperature=0)`` out of habit works; the model's own value applies.
    llm = make_llm(temperature=0)
    assert llm.temperature == 0
    with pytest.warns(FixedSamplingWarning, match="temperature=0.0 given was not sent"):
        assert str(llm.complete("Hi")) == "You said: Hi"
    assert chat_requests(emu) == [
        {"model": "kimi-k2.6", "messages": [{"role": "user", "content": "Hi"}]}
    ]


async def test_fixed_sampling_value_per_call_is_dropped_with_one_warning(
    emu: KimiEmulator, llm: Kimi, fresh_sampling_warnings: None
) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        llm.chat(HI, temperature=0.3)
        "".join(r.delta or "" for r in llm.stream_chat(HI, presence_penalty=0.5))
        await llm.achat(HI, temperature=0.6)  # the same field again: no second warning
        async for _ in await llm.astream_chat(HI, top_p=0.1):
            pass
    assert {w.category for w in caught} == {FixedSamplingWarning}
    assert [str(w.message).split(":")[0] for w in caught] == [
        "kimi-k2.6 fixes temperature=1.0",
        "kimi-k2.6 fixes presence_penalty=0.0",
        "kimi-k2.6 fixes top_p=0.95",
    ]
    sent = chat_requests(emu)
    assert len(sent) == 4
    for body in sent:
        assert not {"temperature", "presence_penalty", "top_p"} & body.keys()


async def test_forbidden_sampling_value_per_call_sends_nothing_when_strict(
    emu: KimiEmulator, make_llm: Callable[..., Kimi], llm: Kimi
) -> None:
    strict = make_llm(strict_sampling=True)
    with pytest.raises(InvalidParameterError, match="temperature"):
        strict.chat(HI, temperature=0.3)
    with pytest.raises(InvalidParameterError, match="presence_penalty"):
        strict.stream_chat(HI, presence_penalty=0.5)
    with pytest.raises(InvalidParameterError, match="temperature"):
        await strict.achat(HI, temperature=0.6)  # 0.6 is only allowed with thinking off
    with pytest.raises(InvalidParameterError, match="top_p"):
        await llm.astream_chat(HI, top_p=0.1, strict_sampling=True)  # per call
    with pytest.raises(InvalidParameterError, match="stop"):
        llm.complete("Hi", stop=["a", "b", "c", "d", "e", "f"])
    assert emu.requests == []


def test_thinking_default_is_not_sent_and_answer_has_thinking_block(
    emu: KimiEmulator, llm: Kimi
) -> None:
    response = llm.chat(HI)
    assert "thinking" not in chat_requests(emu)[0]
    assert response.message.blocks == [
        ThinkingBlock(content="Let me think about this."),
        TextBlock(text="You said: Hi"),
    ]


def test_thinking_off_per_instance(emu: KimiEmulator, make_llm: Callable[..., Kimi]) -> None:
    llm = make_llm(thinking=False)
    response = llm.chat(HI)
    assert chat_requests(emu)[0]["thinking"] == {"type": "disabled"}
    assert response.message.blocks == [TextBlock(text="You said: Hi")]


async def test_thinking_per_call_overrides_instance(
    emu: KimiEmulator, make_llm: Callable[..., Kimi]
) -> None:
    llm = make_llm(thinking=True)
    off = await llm.achat(HI, thinking=False)
    on = llm.chat(HI)
    bodies = chat_requests(emu)
    assert bodies[0]["thinking"] == {"type": "disabled"}
    assert bodies[1]["thinking"] == {"type": "enabled"}
    assert [type(b).__name__ for b in off.message.blocks] == ["TextBlock"]
    assert [type(b).__name__ for b in on.message.blocks] == ["ThinkingBlock", "TextBlock"]


# -- the eight entry points ----------------------------------------------------------------


def test_chat_and_stream_chat(llm: Kimi) -> None:
    assert llm.chat(HI).message.content == "You said: Hi"
    responses = list(llm.stream_chat(HI))
    assert responses[-1].message.content == "You said: Hi"
    assert "".join(r.delta or "" for r in responses) == "You said: Hi"


async def test_achat_and_astream_chat(llm: Kimi) -> None:
    assert (await llm.achat(HI)).message.content == "You said: Hi"
    responses = [r async for r in await llm.astream_chat(HI)]
    assert responses[-1].message.content == "You said: Hi"
    assert "".join(r.delta or "" for r in responses) == "You said: Hi"


def test_complete_and_stream_complete_are_built_on_chat(emu: KimiEmulator, llm: Kimi) -> None:
    completion = llm.complete("Tell me")
    assert completion.text == "You said: Tell me"
    assert completion.raw["usage"]["prompt_tokens"] > 0
    pieces = list(llm.stream_complete("Stream me"))
    assert pieces[-1].text == "You said: Stream me"
    assert "".join(p.delta or "" for p in pieces) == "You said: Stream me"
    assert [r.path for r in emu.requests] == ["/v1/chat/completions"] * 2


async def test_acomplete_and_astream_complete(llm: Kimi) -> None:
    assert (await llm.acomplete("Tell me")).text == "You said: Tell me"
    pieces = [p async for p in await llm.astream_complete("Stream me")]
    assert pieces[-1].text == "You said: Stream me"
    assert "".join(p.delta or "" for p in pieces) == "You said: Stream me"


def test_async_calls_work_across_event_loops(llm: Kimi) -> None:
    """A second ``asyncio.run`` gets a fresh pool instead of "Event loop is closed"."""
    first = asyncio.run(llm.achat(HI))
    second = asyncio.run(llm.acomplete("again"))
    assert (first.message.content, second.text) == ("You said: Hi", "You said: again")


def test_async_client_opens_a_pool_per_running_loop(llm: Kimi) -> None:
    """One async client, whatever the loop; each loop gets its own connection pool."""

    async def used() -> tuple[object, object, str | None]:
        response = await llm.achat(HI)
        return llm.async_client, llm.async_client._http_for_loop(), response.message.content

    first = asyncio.run(used())
    second = asyncio.run(used())
    assert first[0] is second[0]
    assert first[1] is not second[1]
    assert (first[2], second[2]) == ("You said: Hi", "You said: Hi")


# -- errors --------------------------------------------------------------------------------


def test_http_errors_are_the_cores_typed_errors(emu: KimiEmulator, llm: Kimi) -> None:
    emu.fail_next(429)
    with pytest.raises(RateLimitError) as info:
        llm.chat(HI)
    assert info.value.status == 429
    with pytest.raises(NotFoundError, match="kimi-nope"):
        llm.chat(HI, model="kimi-nope")
    emu.fail_next(429)
    responses = llm.stream_chat(HI)  # checked now, sent on first iteration
    with pytest.raises(RateLimitError):
        next(responses)


def test_retries_come_from_the_core(emu: KimiEmulator, make_llm: Callable[..., Kimi]) -> None:
    llm = make_llm(max_retries=1)
    emu.fail_next(503, retry_after=0)
    assert llm.chat(HI).message.content == "You said: Hi"
    assert len(chat_requests(emu)) == 2


def test_cut_stream_raises_with_text_so_far(
    emu: KimiEmulator, make_llm: Callable[..., Kimi]
) -> None:
    llm = make_llm(thinking=False)
    emu.cut_next_stream(after_events=3)
    received: list[str] = []

    def consume() -> None:
        received.extend(response.delta or "" for response in llm.stream_chat(HI))

    with pytest.raises(StreamInterruptedError) as info:
        consume()
    assert info.value.text == "You said: "
    assert "".join(received) == "You said: "


async def test_cut_async_stream_raises(emu: KimiEmulator, make_llm: Callable[..., Kimi]) -> None:
    llm = make_llm(thinking=False)
    emu.cut_next_stream(after_events=2, abort=True)
    with pytest.raises(StreamInterruptedError) as info:
        async for _ in await llm.astream_chat(HI):
            pass
    assert info.value.text == "You "


# -- instrumentation, callbacks and rate limiters -------------------------------------------


class _Events(BaseEventHandler):
    seen: list[BaseEvent]

    def handle(self, event: BaseEvent, **kwargs: Any) -> None:
        self.seen.append(event)


@pytest.fixture
def events() -> Iterator[list[BaseEvent]]:
    handler = _Events(seen=[])
    dispatcher = get_dispatcher()
    dispatcher.add_event_handler(handler)
    yield handler.seen
    dispatcher.event_handlers.remove(handler)


def test_instrumentation_events_for_chat_stream_and_complete(
    llm: Kimi, events: list[BaseEvent]
) -> None:
    response = llm.chat(HI)
    chat_events = [e for e in events if isinstance(e, LLMChatStartEvent | LLMChatEndEvent)]
    assert [type(e) for e in chat_events] == [LLMChatStartEvent, LLMChatEndEvent]
    # The event carries ``to_payload()`` (llama-index-core 0.14.24 and later) or, before
    # that, the model's ``to_dict()``: the model named either way, never the key.
    model_dict = chat_events[0].model_dict
    assert model_dict.get("model_name", model_dict.get("model")) == "kimi-k2.6"
    assert API_KEY not in str(model_dict)
    assert chat_events[1].response == response
    events.clear()
    streamed = list(llm.stream_chat(HI))
    progress = [e for e in events if isinstance(e, LLMChatInProgressEvent)]
    assert [e.response for e in progress] == streamed
    end = [e for e in events if isinstance(e, LLMChatEndEvent)]
    assert end[0].response == streamed[-1]
    events.clear()
    llm.complete("Hi")
    kinds = [
        type(e) for e in events if isinstance(e, LLMCompletionStartEvent | LLMCompletionEndEvent)
    ]
    assert kinds == [LLMCompletionStartEvent, LLMCompletionEndEvent]


class _Spans(SimpleSpanHandler):
    """Records the bound arguments of every span, by method."""

    _arguments: dict[str, dict[str, Any]] = PrivateAttr(default_factory=dict)

    @property
    def arguments(self) -> dict[str, dict[str, Any]]:
        return self._arguments

    def new_span(
        self,
        id_: str,
        bound_args: inspect.BoundArguments,
        instance: Any | None = None,
        parent_span_id: str | None = None,
        tags: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> SimpleSpan:
        self._arguments[id_.rsplit("-", 5)[0]] = dict(bound_args.arguments)
        return super().new_span(id_, bound_args, instance, parent_span_id, tags, **kwargs)


def test_span_handlers_see_each_calls_bound_arguments(llm: Kimi) -> None:
    handler = _Spans()
    dispatcher = get_dispatcher()
    dispatcher.add_span_handler(handler)
    try:
        llm.chat(HI, max_tokens=50)
        list(llm.stream_chat(HI))
        llm.complete("Hi", max_tokens=40)
    finally:
        dispatcher.span_handlers.remove(handler)
    assert handler.arguments["Kimi.chat"] == {"messages": HI, "kwargs": {"max_tokens": 50}}
    assert handler.arguments["Kimi.stream_chat"] == {"messages": HI}
    assert handler.arguments["Kimi.complete"] == {"args": ("Hi",), "kwargs": {"max_tokens": 40}}


@pytest.mark.fastpath
@pytest.mark.parametrize(
    "name", ["chat", "stream_chat", "achat", "astream_chat", "acomplete", "structured_predict"]
)
def test_span_signatures_are_cached_as_inspect_computes_them(name: str) -> None:
    """``dispatcher.span`` binds every call's arguments with ``inspect.signature``; Kimi gives
    its wrapped methods a ``__signature__`` so that is not recomputed per call."""
    inner = vars(Kimi)[name].__wrapped__
    fresh = types.FunctionType(
        inner.__code__, inner.__globals__, inner.__name__, inner.__defaults__, inner.__closure__
    )
    fresh.__kwdefaults__ = inner.__kwdefaults__
    fresh.__annotations__ = inner.__annotations__
    assert "__signature__" not in vars(fresh)
    assert vars(inner)["__signature__"] == inspect.signature(fresh)


def _counting_limiter() -> Any:
    """A LlamaIndex rate limiter that counts (``llama_index.core.rate_limiter`` arrived in a
    later 0.14 release than the oldest this package supports: skipped there)."""
    rate_limiter = pytest.importorskip("llama_index.core.rate_limiter")

    class CountingLimiter(rate_limiter.BaseRateLimiter):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            self.sync = 0
            self.asynchronous = 0

        def acquire(self, num_tokens: int = 0) -> None:
            self.sync += 1

        async def async_acquire(self, num_tokens: int = 0) -> None:
            self.asynchronous += 1

    return CountingLimiter()


async def test_llama_index_rate_limiter_is_applied_by_the_decorators(
    make_llm: Callable[..., Kimi],
) -> None:
    limiter = _counting_limiter()
    llm = make_llm(rate_limiter=limiter)
    llm.chat(HI)
    list(llm.stream_chat(HI))
    llm.complete("Hi")
    list(llm.stream_complete("Hi"))
    await llm.achat(HI)
    [r async for r in await llm.astream_chat(HI)]
    await llm.acomplete("Hi")
    [r async for r in await llm.astream_complete("Hi")]
    assert (limiter.sync, limiter.asynchronous) == (4, 4)


def test_kimi_core_rate_limiter_goes_to_the_clients(make_llm: Callable[..., Kimi]) -> None:
    limiter = RateLimiter(RateLimits(rpm=100))
    llm = make_llm(rate_limiter=limiter)
    assert llm.rate_limiter is None
    assert llm.client.rate_limiter is limiter
    assert llm.async_client.rate_limiter is limiter
    assert llm.chat(HI).message.content == "You said: Hi"
    preset = make_llm(rate_limits="tier1")
    assert preset.client.rate_limiter is not None
    assert preset.client.rate_limiter is preset.async_client.rate_limiter


def test_cloudsway_gateway_may_omit_the_model(
    kimi_emulator_factory: Any, make_llm: Callable[..., Kimi]
) -> None:
    emu = kimi_emulator_factory("cloudsway")
    llm = make_llm(
        model=None, gateway="cloudsway", endpoint_path="kimi-k2.6", base_url=emu.base_url
    )
    response = llm.chat(HI)
    assert "model" not in chat_requests(emu)[0]
    assert response.message.content == "You said: Hi"
    assert llm.metadata.model_name == "kimi"
    assert llm.metadata.context_window == 131_072


def test_model_is_required_elsewhere(emu: KimiEmulator, make_llm: Callable[..., Kimi]) -> None:
    llm = make_llm(model=None)
    with pytest.raises(InvalidParameterError, match="model is required"):
        llm.chat(HI)
    assert emu.requests == []


def test_user_supplied_async_http_client_is_reused_across_loops(
    captures: Any, mock_llm: Callable[..., tuple[Kimi, Any]]
) -> None:
    body = captures.raw("acedata_hello.json")
    llm, sent = mock_llm(
        lambda request: httpx.Response(
            200, content=body, headers={"content-type": "application/json"}
        )
    )
    first = llm.async_client
    asyncio.run(llm.achat(HI))
    asyncio.run(llm.achat(HI))
    assert llm.async_client is first  # theirs to manage: never replaced
    assert len(sent.requests) == 2
