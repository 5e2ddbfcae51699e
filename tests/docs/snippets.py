"""Running the documentation's Python snippets against emulators, offline.

Shared by ``test_readme_snippets`` (each README block on its own, as a reader pastes it) and
``test_docs_pages`` (each page of ``docs/`` top to bottom in one namespace, as a reader follows
it). Fences may be indented (inside Material's tabs and admonitions): they are found and
dedented all the same, so no snippet is silently left out.

Every request a snippet sends to a real host (``api.moonshot.ai``, ``openrouter.ai``, …) is
answered by an emulator speaking that host's dialect, started on first use: the page can show
the code a user writes (``gateway="openrouter"``, no ``base_url``) and still run offline.
"""

from __future__ import annotations

import inspect
import re
import textwrap
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from served_models import SERVED

from kimi_core.catalog.hosts import HOSTS, detect_host
from kimi_emulator import KimiEmulator

ROOT = Path(__file__).resolve().parents[2]
FENCE = re.compile(
    r"^(?P<indent>[ ]*)```python[^\n]*\n(?P<code>.*?)^(?P=indent)```[ ]*$", re.S | re.M
)
KEY = "sk-docs-test"
# Each host's key variable, so a snippet written as a user would (no api_key=) finds one.
HOST_KEY_VARS = sorted({var for profile in HOSTS.values() for var in profile.key_env})
# Placeholders a page asks the reader to fill from the environment (their account, project).
PLACEHOLDER_VARS = {
    "CLOUDFLARE_ACCOUNT_ID": "emulator-account",
    "GOOGLE_CLOUD_PROJECT": "emulator-project",
    "AZURE_RESOURCE": "emulator-resource",
    "AWS_REGION": "us-east-1",
    "GOOGLE_ACCESS_TOKEN": KEY,
}
# Self-hosted servers the pages show on their usual local ports.
LOCAL_PORTS = {8000: "vllm", 30000: "sglang", 11434: "ollama"}


def blocks(path: Path) -> list[tuple[str, str]]:
    """The ``python`` fences of ``path``: ``(file:line, dedented code)``."""
    text = path.read_text(encoding="utf-8")
    found = []
    for match in FENCE.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        where = f"{path.relative_to(ROOT)}:{line}"
        found.append((where, textwrap.dedent(match.group("code"))))
    return found


class HostRouter:
    """Sends each request for a known host to an emulator of that host's dialect, keeping
    the path (the emulators serve the hosts' own base paths); anything else fails loudly."""

    def __init__(self, moonshot: KimiEmulator) -> None:
        self.servers: dict[str, KimiEmulator] = {"moonshot": moonshot}
        self.started: list[KimiEmulator] = []

    def server(self, url: httpx.URL) -> KimiEmulator | None:
        if url.host in ("127.0.0.1", "localhost", "::1"):
            if url.port not in LOCAL_PORTS:
                return None  # an emulator a snippet started itself
            dialect = LOCAL_PORTS[url.port]
        else:
            profile = detect_host(str(url))
            if profile is None:
                raise AssertionError(f"a documentation snippet tried to reach {url}")
            dialect = "moonshot" if profile.name.startswith("moonshot") else profile.name
        key, endpoint_path = dialect, "kimi-k2.6"
        if dialect == "cloudsway":  # the path names the deployment: one emulator per path
            endpoint_path = url.path.split("/v1/ai/", 1)[-1].split("/", 1)[0]
            key = f"cloudsway:{endpoint_path}"
        if key not in self.servers:
            emulator = KimiEmulator(dialect, api_key=KEY, endpoint_path=endpoint_path).start()
            self.servers[key] = emulator
            self.started.append(emulator)
        return self.servers[key]

    def rewrite(self, request: httpx.Request) -> None:
        emulator = self.server(request.url)
        if emulator is not None:
            request.url = request.url.copy_with(scheme="http", host="127.0.0.1", port=emulator.port)

    def reset(self) -> None:
        for emulator in self.servers.values():
            emulator.reset()

    def stop(self) -> None:
        for emulator in self.started:
            emulator.stop()


def patch_transports(router: HostRouter) -> Callable[[], None]:
    """Patch httpx's transports (test code only) so real hosts reach emulators; returns the
    undo. Used in-process by ``routed`` and inside a notebook's kernel by ``kernel_setup``."""
    sync_send = httpx.HTTPTransport.handle_request
    async_send = httpx.AsyncHTTPTransport.handle_async_request

    def handle_request(self: httpx.HTTPTransport, request: httpx.Request) -> httpx.Response:
        router.rewrite(request)
        return sync_send(self, request)

    async def handle_async_request(
        self: httpx.AsyncHTTPTransport, request: httpx.Request
    ) -> httpx.Response:
        router.rewrite(request)
        return await async_send(self, request)

    httpx.HTTPTransport.handle_request = handle_request  # type: ignore[method-assign]
    httpx.AsyncHTTPTransport.handle_async_request = handle_async_request  # type: ignore[method-assign]

    def undo() -> None:
        httpx.HTTPTransport.handle_request = sync_send  # type: ignore[method-assign]
        httpx.AsyncHTTPTransport.handle_async_request = async_send  # type: ignore[method-assign]

    return undo


@contextmanager
def routed(monkeypatch: pytest.MonkeyPatch, moonshot: KimiEmulator) -> Iterator[HostRouter]:
    """Real hosts answered by emulators for the duration of a test."""
    router = HostRouter(moonshot)
    undo = patch_transports(router)
    try:
        yield router
    finally:
        undo()
        router.stop()


def kernel_setup() -> HostRouter:
    """For a notebook's kernel (a separate process): a Moonshot emulator, every real host
    routed to an emulator of its dialect, and a key in every variable a page may name."""
    import os

    router = HostRouter(KimiEmulator("moonshot", models=SERVED).start())
    router.started.append(router.servers["moonshot"])
    patch_transports(router)
    os.environ.update({"MOONSHOT_API_KEY": KEY, **dict.fromkeys(HOST_KEY_VARS, KEY)})
    os.environ.update(PLACEHOLDER_VARS)
    return router


def reader_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A reader's machine: a key in every variable a page may name, nothing else of ours."""
    for name in ("KIMI_API_KEY", "MOONSHOT_BASE_URL", "KIMI_BASE_URL", "MOONSHOT_API_BASE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MOONSHOT_API_KEY", KEY)
    for name in HOST_KEY_VARS:
        monkeypatch.setenv(name, KEY)
    for name, value in PLACEHOLDER_VARS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)


def run(
    code_blocks: list[tuple[str, str]],
    namespace: dict[str, Any],
    fixtures: dict[str, Any],
    before_test: Callable[[], None],
) -> None:
    """Run the blocks in order in ``namespace``; call each ``test_*`` function a block
    defines with the fixtures it names (``before_test`` first)."""
    for where, code in code_blocks:
        exec(compile(code, where, "exec"), namespace)
        for name, value in list(namespace.items()):
            if name.startswith("test_") and inspect.isfunction(value):
                before_test()
                wanted = inspect.signature(value).parameters
                value(**{param: fixtures[param] for param in wanted})
                del namespace[name]
