"""KimiClient / AsyncKimiClient: exact requests, answer parsing, secrets, pooling, sharing."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from core_helpers import (
    BASE_URL,
    SENTINEL_KEY,
    USER_HI,
    Recorder,
    async_client,
    json_response,
    sync_client,
)

from kimi_core import (
    APIConnectionError,
    AsyncKimiClient,
    AuthenticationError,
    Balance,
    ChatCompletion,
    ChatRequest,
    InternalServerError,
    InvalidParameterError,
    KimiClient,
    MalformedResponseError,
    ModelCard,
    __version__,
)

MODES = ["sync", "async"]
ANSWER = {
    "id": "cmpl-1",
    "object": "chat.completion",
    "model": "kimi-k2-0905-preview",
    "choices": [
        {"index": 0, "message": {"role": "assistant", "content": "Hello"}, "finish_reason": "stop"}
    ],
    "usage": {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6},
}


def call(mode: str, recorder: Recorder, method: str, *args: Any, **options: Any) -> Any:
    """Call ``method`` on a sync or async client over the recorder's mock transport."""
    if mode == "sync":
        return getattr(sync_client(recorder, **options), method)(*args)

    async def go() -> Any:
        return await getattr(async_client(recorder, **options), method)(*args)

    return asyncio.run(go())


@pytest.fixture
def owned_transport(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    """Route the clients' own pooled httpx clients through a mock transport."""
    recorder = Recorder()
    transport = httpx.MockTransport(recorder)
    real_client, real_async = httpx.Client, httpx.AsyncClient

    def make_client(**kwargs: Any) -> httpx.Client:
        return real_client(transport=transport, **kwargs)

    def make_async(**kwargs: Any) -> httpx.AsyncClient:
        return real_async(transport=transport, **kwargs)

    monkeypatch.setattr(httpx, "Client", make_client)
    monkeypatch.setattr(httpx, "AsyncClient", make_async)
    return recorder


def _check_chat_request(request: httpx.Request) -> None:
    assert request.method == "POST"
    assert str(request.url) == f"{BASE_URL}/chat/completions"
    assert request.headers["authorization"] == f"Bearer {SENTINEL_KEY}"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["accept"] == "application/json"
    assert request.headers["user-agent"] == f"kimi-integrations/{__version__}"
    assert json.loads(request.content) == {
        "model": "kimi-k2-0905-preview",
        "messages": [{"role": "user", "content": "Hi"}],
        # Moonshot's own endpoint: max_tokens goes as max_completion_tokens.
        "max_completion_tokens": 64,
    }


def test_chat_sends_exactly_the_expected_request(owned_transport: Recorder) -> None:
    owned_transport.answers.append(json_response(ANSWER))
    request = ChatRequest(
        model="kimi-k2-0905-preview",
        messages=USER_HI,
        max_tokens=64,
        temperature=None,
        stream=True,
    )
    with KimiClient(SENTINEL_KEY) as client:
        completion = client.chat(request)
    (sent,) = owned_transport.requests
    _check_chat_request(sent)
    assert completion == ChatCompletion.model_validate(ANSWER)


async def test_async_chat_sends_exactly_the_expected_request(owned_transport: Recorder) -> None:
    owned_transport.answers.append(json_response(ANSWER))
    payload = {
        "model": "kimi-k2-0905-preview",
        "messages": USER_HI,
        "max_tokens": 64,
        "top_p": None,
    }
    async with AsyncKimiClient(SENTINEL_KEY) as client:
        completion = await client.chat(payload)
    _check_chat_request(owned_transport.requests[0])
    assert completion.message.content == "Hello"
    assert payload["top_p"] is None  # the caller's mapping is left alone


@pytest.mark.parametrize("mode", MODES)
def test_chat_parses_a_capture(mode: str, captures: Any) -> None:
    recorder = Recorder(json_response(captures.json("acedata_hello")))
    completion = call(
        mode, recorder, "chat", {"model": "kimi-k2.6", "messages": USER_HI, "thinking": True}
    )
    assert completion == ChatCompletion.model_validate(captures.json("acedata_hello"))
    assert recorder.json_bodies() == [
        {"model": "kimi-k2.6", "messages": USER_HI, "thinking": {"type": "enabled"}}
    ]


@pytest.mark.parametrize("mode", MODES)
def test_200_with_acedata_error_body_is_typed(mode: str, captures: Any) -> None:
    answer = httpx.Response(
        200,
        content=captures.raw("acedata_error.json"),
        headers={"content-type": "application/json"},
    )
    recorder = Recorder(answer, answer, answer)
    with pytest.raises(InternalServerError) as caught:
        call(mode, recorder, "chat", {"model": "kimi-k2.6", "messages": USER_HI})
    error = caught.value
    assert (error.code, error.message) == ("api_error", "fetch failed")
    assert error.trace_id == "2cf86e86-22a4-46e1-ac2f-032c0f2a4e89"
    # A gateway's 200 carrying a server error is retried like the 500 it stands for.
    assert (len(recorder.requests), error.attempts) == (3, 3)


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ({"content": b""}, "empty 200 answer from /v1/chat/completions"),
        ({"content": b"  \n"}, "empty 200 answer from /v1/chat/completions"),
        (
            {"text": "<html>oops</html>", "headers": {"content-type": "text/html"}},
            "answer from /v1/chat/completions is not JSON (text/html)",
        ),
        ({"json": [1, 2]}, "chat answer is not a JSON object"),
        (
            {"json": {"choices": "nope"}},
            "chat answer does not match the wire format: Input should be a valid list",
        ),
    ],
)
@pytest.mark.parametrize("mode", MODES)
def test_malformed_200_answers(mode: str, answer: dict[str, Any], message: str) -> None:
    recorder = Recorder(httpx.Response(200, **answer))
    with pytest.raises(MalformedResponseError) as caught:
        call(mode, recorder, "chat", {"model": "m", "messages": USER_HI})
    assert str(caught.value) == message


@pytest.mark.parametrize("mode", MODES)
def test_bad_request_is_caught_before_sending(mode: str) -> None:
    recorder = Recorder()
    with pytest.raises(InvalidParameterError) as caught:
        call(
            mode,
            recorder,
            "chat",
            {"model": "kimi-k2.6", "messages": USER_HI, "top_p": 0.5, "strict_sampling": True},
        )
    assert caught.value.param == "top_p"
    assert recorder.requests == []


@pytest.mark.parametrize("mode", MODES)
def test_estimate_tokens(mode: str) -> None:
    recorder = Recorder(json_response({"code": 0, "data": {"total_tokens": 42}, "status": True}))
    assert call(mode, recorder, "estimate_tokens", "kimi-k2.6", USER_HI) == 42
    (request,) = recorder.requests
    assert (request.method, request.url.path) == ("POST", "/v1/tokenizers/estimate-token-count")
    assert json.loads(request.content) == {"model": "kimi-k2.6", "messages": USER_HI}
    assert request.headers["content-type"] == "application/json"


@pytest.mark.parametrize("mode", MODES)
def test_estimate_tokens_malformed(mode: str) -> None:
    with pytest.raises(MalformedResponseError, match=r"no data\.total_tokens"):
        call(mode, Recorder(json_response({"data": {}})), "estimate_tokens", "m", USER_HI)


@pytest.mark.parametrize("mode", MODES)
def test_list_models(mode: str) -> None:
    card = {
        "id": "kimi-k2.6",
        "object": "model",
        "created": 1,
        "owned_by": "moonshot",
        "context_length": 262144,
        "supports_reasoning": True,
    }
    recorder = Recorder(json_response({"object": "list", "data": [card]}))
    assert call(mode, recorder, "list_models") == [ModelCard.model_validate(card)]
    assert (recorder.requests[0].method, recorder.requests[0].url.path) == ("GET", "/v1/models")


@pytest.mark.parametrize("mode", MODES)
def test_balance(mode: str) -> None:
    data = {"available_balance": 49.58894, "voucher_balance": 46.58893, "cash_balance": 3.00001}
    recorder = Recorder(json_response({"code": 0, "data": data, "scode": "0x0", "status": True}))
    assert call(mode, recorder, "balance") == Balance(**data)
    assert recorder.requests[0].url.path == "/v1/users/me/balance"


@pytest.mark.parametrize("mode", MODES)
def test_user_http_client_gets_auth_per_request(mode: str) -> None:
    recorder = Recorder(json_response(ANSWER))
    call(
        mode,
        recorder,
        "chat",
        {"model": "kimi-k2-0905-preview", "messages": USER_HI},
        default_headers={"X-Team": "search"},
    )
    headers = recorder.requests[0].headers
    assert headers["authorization"] == f"Bearer {SENTINEL_KEY}"
    assert headers["x-team"] == "search"
    assert headers["content-type"] == "application/json"


def test_user_http_client_headers_kept_and_client_not_closed() -> None:
    recorder = Recorder(json_response(ANSWER))
    http = httpx.Client(transport=httpx.MockTransport(recorder), headers={"X-Proxy": "p"})
    with KimiClient(SENTINEL_KEY, BASE_URL, http_client=http) as client:
        client.chat({"model": "m", "messages": USER_HI})
    assert recorder.requests[0].headers["x-proxy"] == "p"
    assert "authorization" not in http.headers  # the user's client is not modified
    assert not http.is_closed  # nor closed: its owner closes it


def test_timeout_is_sent_per_request() -> None:
    recorder = Recorder(json_response(ANSWER))
    sync_client(recorder, timeout=5.0).chat({"model": "m", "messages": USER_HI})
    assert recorder.requests[0].extensions["timeout"] == httpx.Timeout(5.0).as_dict()


def test_cloudsway_request_without_model() -> None:
    recorder = Recorder(json_response(ANSWER))
    http = httpx.Client(transport=httpx.MockTransport(recorder))
    client = KimiClient(SENTINEL_KEY, gateway="cloudsway", endpoint_path="ep-9", http_client=http)
    client.chat({"messages": USER_HI})
    assert str(recorder.requests[0].url) == (
        "https://genaiapi.cloudsway.net/v1/ai/ep-9/chat/completions"
    )
    assert recorder.json_bodies() == [{"messages": USER_HI}]


def test_negative_max_retries_refused() -> None:
    with pytest.raises(ValueError, match="max_retries must be >= 0"):
        KimiClient(SENTINEL_KEY, max_retries=-1)


def test_repr_and_str_never_contain_the_key() -> None:
    sync = KimiClient(SENTINEL_KEY)
    asyn = AsyncKimiClient(SENTINEL_KEY)
    assert repr(sync) == (
        "KimiClient(base_url='https://api.moonshot.ai/v1', max_retries=2, "
        "api_key=SecretStr('**********'))"
    )
    assert repr(asyn).startswith("AsyncKimiClient(base_url=")
    for text in (
        repr(sync),
        str(sync),
        repr(asyn),
        str(asyn),
        repr(sync.api_key),
        str(sync.api_key),
    ):
        assert SENTINEL_KEY not in text
    assert sync.api_key.get_secret_value() == SENTINEL_KEY
    sync.close()


@pytest.mark.parametrize("mode", MODES)
def test_errors_never_contain_the_key(mode: str) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"refused {request.url}", request=request)

    answers: list[Any] = [
        httpx.Response(
            401,
            json={
                "error": {
                    "message": "Invalid Authentication",
                    "type": "invalid_authentication_error",
                }
            },
            headers={"Msh-Request-Id": "r-1"},
        ),
        refuse,
    ]
    recorder = Recorder(*answers)
    with pytest.raises(AuthenticationError) as auth:
        call(mode, recorder, "chat", {"model": "m", "messages": USER_HI})
    with pytest.raises(APIConnectionError) as conn:
        call(mode, recorder, "chat", {"model": "m", "messages": USER_HI}, max_retries=0)
    for error in (auth.value, conn.value):
        for text in (str(error), repr(error), repr(error.__dict__), repr(error.args)):
            assert SENTINEL_KEY not in text
    # The hint names the URL used and the other platform (issue 26).
    assert str(auth.value) == (
        "401 invalid_authentication_error: Invalid Authentication (the key was refused by "
        "https://api.moonshot.ai/v1; keys from platform.moonshot.ai / platform.kimi.ai work on "
        "https://api.moonshot.ai/v1 and keys from platform.moonshot.cn on "
        "https://api.moonshot.cn/v1: try gateway='moonshot-cn' if yours comes from the "
        "other platform) (trace id: r-1)"
    )


def test_context_manager_closes_the_pool() -> None:
    with KimiClient(SENTINEL_KEY) as client:
        assert not client._http.is_closed
        assert client._http.headers["authorization"] == f"Bearer {SENTINEL_KEY}"
    assert client._http.is_closed


async def test_async_context_manager_closes_the_pool() -> None:
    async with AsyncKimiClient(SENTINEL_KEY) as client:
        assert not client._http.is_closed
    assert client._http.is_closed


def test_one_pool_reused_across_calls(owned_transport: Recorder) -> None:
    owned_transport.answers.extend([json_response(ANSWER), json_response(ANSWER)])
    with KimiClient(SENTINEL_KEY) as client:
        pool = client._http
        client.chat({"model": "m", "messages": USER_HI})
        client.chat({"model": "m", "messages": USER_HI})
        assert client._http is pool
    assert len(owned_transport.requests) == 2


def test_sync_and_async_clients_of_one_key_share_a_limiter() -> None:
    first = KimiClient(SENTINEL_KEY, rate_limits="tier2")
    second = AsyncKimiClient(SENTINEL_KEY, rate_limits="tier2")
    other = KimiClient("sk-another-key", rate_limits="tier2")
    assert first.rate_limiter is not None
    assert first.rate_limiter is second.rate_limiter
    assert other.rate_limiter is not first.rate_limiter
    first.close()
    other.close()


def test_a_read_answer_leaves_no_reference_cycle_behind() -> None:
    """httpx's body stream and the response point at each other; the core drops the read
    stream so each call's objects are freed by reference counting, not by the GC."""
    import gc
    import json

    import httpx

    from kimi_core import KimiClient

    body = json.dumps({"id": "c", "choices": [{"message": {"content": "hi"}}]}).encode()
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=body))
    client = KimiClient(
        api_key="k", base_url="https://kimi.test/v1", http_client=httpx.Client(transport=transport)
    )
    request = {"model": "kimi-k2.6", "messages": [{"role": "user", "content": "hi"}]}
    assert client.chat(request).message.content == "hi"
    gc.collect()
    gc.disable()
    try:
        for _ in range(20):
            assert client.chat(request).message.content == "hi"
        assert gc.collect() == 0
    finally:
        gc.enable()
