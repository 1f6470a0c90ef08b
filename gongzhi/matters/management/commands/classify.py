"""`gongzhi classify`: one text per line on stdin, one JSON suggestion per line on stdout."""

import io
import json
import sys
from itertools import islice
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from gongzhi.matters import classifier


class Command(BaseCommand):
    help = _(
        "Read one text per line from standard input and write one JSON object per line: "
        '{"category", "tier", "confidence", "alternatives"}. A blank line gives '
        '{"error": "empty"}, so output line n always answers input line n.'
    )
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch-size",
            type=int,
            default=256,
            help=_("Lines classified and written at a time; 1 answers each line at once."),
        )
        parser.add_argument(
            "--model",
            type=Path,
            default=None,
            help=_("A model file written by train_classifier (default: the shipped one)."),
        )

    def handle(self, *args, batch_size: int, model: Path | None, **options):
        if batch_size < 1:
            raise CommandError(_("--batch-size must be at least 1."))
        if model is not None and not model.is_file():
            raise CommandError(_("No model file at %(path)s.") % {"path": model})
        stdin = options.get("stdin") or io.TextIOWrapper(
            sys.stdin.buffer, encoding="utf-8", errors="replace"
        )
        loaded = classifier.load(model)
        lines = (line.rstrip("\r\n") for line in stdin)
        while batch := list(islice(lines, batch_size)):
            texts = [line for line in batch if line.strip()]
            answers = iter(loaded.predict(texts))
            for line in batch:
                result = next(answers).as_dict() if line.strip() else {"error": "empty"}
                self.stdout.write(json.dumps(result, ensure_ascii=False))
            self.stdout.flush()
