"""Profile one subject's figure with pyinstrument, against the same canned server.

    pip install pyinstrument    # a profiling aid only; not a project dependency
    python benchmarks/profiling.py ChatKimi stream
    python benchmarks/profiling.py Kimi invoke --count 2000 --html /tmp/kimi-invoke.html

Runs the figure once untimed (warm-up), then ``--count`` times under the profiler, and prints
the call tree (frames under 1% hidden) so hot spots in our code and in the framework's show up.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

import canned
from server import raise_fd_limit, running_server, server_cpu
from subjects import SUBJECTS
from worker import Figures, avoid_cpu, subject_url

DEFAULT_COUNTS = {"invoke": 1000, "stream": 10, "async": 5}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("subject", choices=sorted(SUBJECTS))
    parser.add_argument("figure", choices=sorted(DEFAULT_COUNTS))
    parser.add_argument("--count", type=int, default=None, help="calls, streams or batches")
    parser.add_argument("--chunks", type=int, default=canned.DEFAULT_CHUNKS)
    parser.add_argument("--html", default=None, help="also write an HTML report here")
    parser.add_argument("--show-all", action="store_true", help="also show library frames")
    args = parser.parse_args(argv)
    try:
        from pyinstrument import Profiler
    except ImportError:
        print("pyinstrument is not installed: pip install pyinstrument", file=sys.stderr)
        return 2
    raise_fd_limit()
    count = args.count or DEFAULT_COUNTS[args.figure]
    # ``async`` is one gather of 200 calls per batch, like the benchmark's figure.
    per_batch = 200 if args.figure == "async" else 1
    cpu = server_cpu()
    with running_server(cpu) as root:
        build = SUBJECTS[args.subject]
        figures = Figures(
            build(subject_url(root, args.chunks)),
            args.chunks,
            build(subject_url(root, args.chunks, close=True)),
        )
        avoid_cpu(cpu)
        figures.run(args.figure, per_batch)
        profiler = Profiler(interval=0.0002, async_mode="enabled")
        profiler.start()
        for _ in range(count if per_batch > 1 else 1):
            figures.run(args.figure, per_batch if per_batch > 1 else count)
        profiler.stop()
        figures.subject.close()
        asyncio.set_event_loop(None)
    print(profiler.output_text(unicode=True, color=False, show_all=args.show_all))
    if args.html:
        with open(args.html, "w") as html:
            html.write(profiler.output_html())
    return 0


if __name__ == "__main__":
    sys.exit(main())
