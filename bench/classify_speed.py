"""Classification speed: model load time, then texts per second one at a time and in batches.

    .venv/bin/python bench/classify_speed.py [--repeat N] [--reference]

Needs no database or Django settings; it reads the shipped model and the held-out texts.
Each figure is the best of ``--runs`` runs, by the wall clock and by this process's CPU time
(on a shared machine the CPU figure is the steadier one). ``--reference`` also times
scikit-learn's own path (``Model.probabilities_sklearn``, what ``predict`` used before) in the
same process, for a before/after on the same load.
"""

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gongzhi.matters import classifier  # noqa: E402


def _rate(fn, n: int, runs: int) -> tuple[float, float]:
    """Best texts/s of ``runs`` calls of ``fn`` (which handles ``n`` texts): wall, CPU."""
    wall = cpu = 0.0
    for _run in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        fn()
        wall = max(wall, n / (time.perf_counter() - started))
        cpu = max(cpu, n / max(time.process_time() - started_cpu, 1e-9))
    return wall, cpu


def _figures(label: str, predict, texts: list[str], repeat: int, runs: int) -> None:
    wall, cpu = _rate(lambda: [predict([t]) for t in texts], len(texts), runs)
    print(
        f"{label}one text per call   {wall:8.0f} texts/s  ({1000 / wall:.2f} ms)"
        f"   CPU {cpu:8.0f} texts/s  ({len(texts)} texts)"
    )
    batch = texts * repeat
    for size in (64, 1024):

        def batches(size=size):
            for i in range(0, len(batch), size):
                predict(batch[i : i + size])

        wall, cpu = _rate(batches, len(batch), runs)
        print(
            f"{label}batches of {size:<5}    {wall:8.0f} texts/s"
            f"             CPU {cpu:8.0f} texts/s  ({len(batch)} texts)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--repeat", type=int, default=10, help="copies of the held-out set per batch run"
    )
    parser.add_argument("--runs", type=int, default=3, help="runs of each figure (best kept)")
    parser.add_argument(
        "--reference", action="store_true", help="also time scikit-learn's path (before)"
    )
    args = parser.parse_args()

    texts = [e.text for e in classifier.read_examples(classifier.HELDOUT)]
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")

    start = time.perf_counter()
    model = classifier.load()
    loaded = time.perf_counter() - start
    start = time.perf_counter()
    model.predict([texts[0]])
    warm = time.perf_counter() - start
    print(f"model load                 {loaded * 1000:8.0f} ms")
    print(f"first prediction           {warm * 1000:8.0f} ms")

    _figures("", model.predict, texts, args.repeat, args.runs)
    if args.reference:
        _figures("scikit-learn ", model.probabilities_sklearn, texts, args.repeat, args.runs)
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
