"""Classification speed: model load time, then texts per second one at a time and in batches.

    .venv/bin/python bench/classify_speed.py [--repeat N]

Needs no database or Django settings; it reads the shipped model and the held-out texts.
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gongzhi.matters import classifier  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--repeat", type=int, default=10, help="copies of the held-out set per batch run"
    )
    args = parser.parse_args()

    texts = [e.text for e in classifier.read_examples(classifier.HELDOUT)]

    start = time.perf_counter()
    model = classifier.load()
    loaded = time.perf_counter() - start
    start = time.perf_counter()
    model.predict([texts[0]])
    warm = time.perf_counter() - start
    print(f"model load                 {loaded * 1000:8.0f} ms")
    print(f"first prediction          {warm * 1000:8.0f} ms")

    start = time.perf_counter()
    for text in texts:
        model.predict([text])
    single = len(texts) / (time.perf_counter() - start)
    print(f"one text per call          {single:8.0f} texts/s  ({len(texts)} texts)")

    batch = texts * args.repeat
    for size in (64, 1024):
        start = time.perf_counter()
        for i in range(0, len(batch), size):
            model.predict(batch[i : i + size])
        rate = len(batch) / (time.perf_counter() - start)
        print(f"batches of {size:<5}           {rate:8.0f} texts/s  ({len(batch)} texts)")


if __name__ == "__main__":
    main()
