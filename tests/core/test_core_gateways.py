"""Gateway profiles, base-URL and key precedence, and the plain-http guard."""

from __future__ import annotations

import pytest
from core_helpers import SENTINEL_KEY
from pydantic import SecretStr

from kimi_core import ConfigurationError, KimiClient
from kimi_core.catalog.hosts import GATEWAYS, get_gateway, resolve_api_key, resolve_base_url


def test_default_is_moonshot_global() -> None:
    # Issue 26: the global platform, as Moonshot's own client and every peer default to.
    assert resolve_base_url() == "https://api.moonshot.ai/v1"


def test_gateway_urls() -> None:
    assert resolve_base_url(gateway="moonshot-global") == "https://api.moonshot.ai/v1"
    assert resolve_base_url(gateway="global") == "https://api.moonshot.ai/v1"
    assert resolve_base_url(gateway="moonshot") == "https://api.moonshot.cn/v1"
    assert resolve_base_url(gateway="acedata") == "https://api.acedata.cloud/kimi"
    assert (
        resolve_base_url(gateway="cloudsway", endpoint_path="/abc123/")
        == "https://genaiapi.cloudsway.net/v1/ai/abc123"
    )
    assert get_gateway(GATEWAYS["acedata"]) is GATEWAYS["acedata"]


def test_precedence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIMI_BASE_URL", "https://kimi-env.example/v1")
    assert resolve_base_url() == "https://kimi-env.example/v1"
    monkeypatch.setenv("MOONSHOT_BASE_URL", "https://moonshot-env.example/v1/")
    assert resolve_base_url() == "https://moonshot-env.example/v1"  # trailing slash dropped
    assert resolve_base_url(gateway="acedata") == "https://api.acedata.cloud/kimi"
    assert resolve_base_url("https://arg.example/v1", gateway="acedata") == "https://arg.example/v1"


def test_cloudsway_needs_endpoint_path() -> None:
    with pytest.raises(ConfigurationError, match="needs endpoint_path="):
        resolve_base_url(gateway="cloudsway")
    with pytest.raises(ConfigurationError, match="needs endpoint_path="):
        KimiClient(SENTINEL_KEY, gateway="cloudsway")


def test_cloudsway_client_may_omit_model() -> None:
    client = KimiClient(SENTINEL_KEY, gateway="cloudsway", endpoint_path="ep-1")
    assert client.model_optional is True
    assert client.base_url == "https://genaiapi.cloudsway.net/v1/ai/ep-1"
    assert KimiClient(SENTINEL_KEY).model_optional is False


def test_unknown_gateway() -> None:
    with pytest.raises(ConfigurationError) as caught:
        get_gateway("no-such-host")
    message = str(caught.value)
    assert message.startswith("unknown gateway 'no-such-host'; known gateways: acedata, ")
    for name in ("openrouter", "vllm", "moonshot-global", "cloudsway", "azure", "ollama"):
        assert name in message


def test_key_from_argument_then_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIMI_API_KEY", "kimi-env-key")
    assert resolve_api_key().get_secret_value() == "kimi-env-key"
    monkeypatch.setenv("MOONSHOT_API_KEY", "moonshot-env-key")
    assert resolve_api_key().get_secret_value() == "moonshot-env-key"
    assert resolve_api_key("arg-key").get_secret_value() == "arg-key"
    assert resolve_api_key(SecretStr("secret-arg")).get_secret_value() == "secret-arg"
    key = KimiClient().api_key
    assert isinstance(key, SecretStr)
    assert key.get_secret_value() == "moonshot-env-key"


def test_missing_key_names_both_variables() -> None:
    with pytest.raises(ConfigurationError) as caught:
        KimiClient()
    assert "MOONSHOT_API_KEY" in str(caught.value)
    assert "KIMI_API_KEY" in str(caught.value)
    assert isinstance(caught.value, ValueError)
    with pytest.raises(ConfigurationError):
        resolve_api_key(SecretStr(""))


def test_plain_http_refused_unless_allowed() -> None:
    with pytest.raises(ConfigurationError, match="refusing plain http://"):
        resolve_base_url("http://proxy.example/v1")
    with pytest.raises(ConfigurationError, match="refusing plain http://"):
        KimiClient(SENTINEL_KEY, "http://10.0.0.5/v1")
    assert (
        resolve_base_url("http://proxy.example/v1", allow_insecure=True)
        == "http://proxy.example/v1"
    )


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8000/v1", "http://localhost:9/v1", "http://[::1]:80/v1"]
)
def test_plain_http_allowed_on_loopback(url: str) -> None:
    assert resolve_base_url(url) == url
    assert KimiClient(SENTINEL_KEY, url).base_url == url


@pytest.mark.parametrize("url", ["ftp://x.example/v1", "api.moonshot.cn/v1", "https://"])
def test_non_http_urls_refused(url: str) -> None:
    with pytest.raises(ConfigurationError, match="must be an http"):
        resolve_base_url(url)
