"""Run benchmarks: ``python -m bench [name ...]``; prints one JSON document.

Each module ``bench/bench_<name>.py`` defines ``run() -> dict`` returning its figures
(numbers with units in their keys, plus the targets they are judged against).

Each result also carries ``cpu_probe_ms``: how long a fixed pure-Python loop took just
before the benchmark ran. The figures of a shared 2-core machine move with its
neighbours (the same loop took 224 to 402 ms over one minute on an idle machine here);
the probe says how fast the machine was when a figure was taken.
"""

from __future__ import annotations

import importlib
import json
import platform
import sys
import time
from pathlib import Path
from typing import Any


def cpu_probe_ms() -> float:
    """Milliseconds for a fixed single-core loop (higher: a slower machine right now)."""
    t0 = time.perf_counter()
    sum(range(20_000_000))
    return round((time.perf_counter() - t0) * 1000, 1)


def main(argv: list[str]) -> int:
    here = Path(__file__).parent
    names = sorted(p.stem.removeprefix("bench_") for p in here.glob("bench_*.py"))
    wanted = [a for a in argv if not a.startswith("-")] or names
    out: dict[str, Any] = {
        "machine": {"python": platform.python_version(), "cpus": __import__("os").cpu_count()},
        "results": {},
    }
    failed = False
    for name in wanted:
        mod = importlib.import_module(f"bench.bench_{name}")
        probe = cpu_probe_ms()
        t0 = time.perf_counter()
        try:
            res = mod.run()
        except Exception as exc:
            res = {"error": f"{type(exc).__name__}: {exc}"}
            failed = True
        res["wall_s"] = round(time.perf_counter() - t0, 3)
        res["cpu_probe_ms"] = probe
        out["results"][name] = res
        print(f"# {name}: {json.dumps(res)}", file=sys.stderr, flush=True)
    results_dir = here / "results"
    results_dir.mkdir(exist_ok=True)
    text = json.dumps(out, indent=2, default=str)
    (results_dir / "latest.json").write_text(text)
    print(text)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
