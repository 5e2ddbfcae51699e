"""``python -m kimi_emulator``: serve a Kimi emulator until Ctrl-C (or SIGTERM)."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from kimi_core.catalog.model_info import DEFAULT_MODEL

from .host_dialects import ALL_DIALECTS, HOST_DIALECTS


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m kimi_emulator",
        description="Serve a Kimi-compatible API on 127.0.0.1 for offline tests and demos.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port (default 0: a free port)")
    parser.add_argument(
        "--dialect",
        choices=ALL_DIALECTS,
        default="moonshot",
        metavar="{moonshot,acedata,cloudsway}|HOST",
        help=(
            "the API to speak (default moonshot; moonshot-cn and moonshot-global are "
            f"moonshot); HOST: a host's dialect, one of {', '.join(HOST_DIALECTS)}"
        ),
    )
    parser.add_argument("--api-key", default=None, help="require this key (default: any key)")
    parser.add_argument(
        "--endpoint-path",
        default=DEFAULT_MODEL,
        help=f"cloudsway endpoint path (default {DEFAULT_MODEL})",
    )
    parser.add_argument("--rpm", type=int, default=None, help="simulated requests per minute")
    parser.add_argument("--concurrency", type=int, default=None, help="simulated concurrency")
    parser.add_argument("--tpm", type=int, default=None, help="simulated tokens per minute")
    parser.add_argument(
        "--window",
        type=float,
        default=60.0,
        help="seconds the --rpm / --tpm limits count over (default 60, as the API)",
    )
    parser.add_argument(
        "--chunk-delay", type=float, default=0.0, help="seconds between SSE events (default 0)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        from . import KimiEmulator
    except ImportError as exc:  # the emulator extra is missing: the message names the pip command
        print(f"error: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    emulator = KimiEmulator(
        args.dialect,
        host=args.host,
        port=args.port,
        api_key=args.api_key,
        endpoint_path=args.endpoint_path,
        rpm_limit=args.rpm,
        concurrency_limit=args.concurrency,
        chunk_delay=args.chunk_delay,
    )
    if args.tpm is not None or args.window != 60.0:
        emulator.set_limits(args.rpm, args.concurrency, tpm=args.tpm, window=args.window)
    with emulator:
        print(f"Kimi emulator ({args.dialect}) listening on {emulator.base_url}", flush=True)
        if args.api_key:
            print("Requests must send the API key given with --api-key.", flush=True)
        while not stop.wait(0.5):
            pass
    print("Kimi emulator stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
