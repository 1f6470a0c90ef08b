"""Retrain the matter classifier from the corpus plus the staff's stored corrections."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from django.utils.translation import gettext as _

from gongzhi.matters import classifier


class Command(BaseCommand):
    help = _(
        "Train the matter classifier from the labelled corpus and stored staff corrections, "
        "write the model file and optionally report held-out accuracy."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            type=Path,
            default=classifier.ARTIFACT,
            help=_("Where to write the model (default: the one shipped in the package)."),
        )
        parser.add_argument(
            "--evaluate",
            action="store_true",
            help=_("Print accuracy and macro-F1 on the held-out set."),
        )

    def handle(self, *args, output: Path, evaluate: bool, **options):
        corpus = classifier.read_examples(classifier.CORPUS)
        heldout = classifier.read_examples(classifier.HELDOUT)
        corrections = self._corrections(exclude={e.text for e in heldout})
        self.stdout.write(
            _("Training on %(corpus)d corpus texts and %(corrections)d staff corrections…")
            % {"corpus": len(corpus), "corrections": len(corrections)}
        )
        try:
            model = classifier.train(corpus + corrections)
            path = model.save(output)
        except (ValueError, OSError) as exc:
            raise CommandError(_("Training failed: %(error)s") % {"error": exc}) from exc
        self.stdout.write(
            self.style.SUCCESS(
                _("Wrote %(path)s (%(size).1f MB).")
                % {"path": path, "size": path.stat().st_size / 1e6}
            )
        )
        if evaluate:
            self._report(classifier.evaluate(model, heldout))

    def _corrections(self, *, exclude: set[str]) -> list[classifier.Example]:
        """Staff corrections as examples; a corrupt row is skipped, never trained on."""
        try:
            from gongzhi.matters.selectors import classification_corrections
        except ImportError:
            self.stdout.write(_("Note: no stored corrections yet; training from the corpus alone."))
            return []
        try:
            rows = list(classification_corrections())
        except DatabaseError as exc:
            self.stderr.write(
                _(
                    "Note: could not read stored corrections (%(error)s); training from the corpus alone."
                )
                % {"error": exc}
            )
            return []
        kept, skipped = [], 0
        for row in rows:
            try:
                (example,) = classifier.validate([row])
            except (ValueError, TypeError):
                skipped += 1
                continue
            if example.text in exclude:
                skipped += 1
                continue
            kept.append(example)
        if skipped:
            self.stderr.write(
                _("Skipped %(n)d corrections that were invalid or part of the held-out set.")
                % {"n": skipped}
            )
        return kept

    def _report(self, result: dict) -> None:
        self.stdout.write(_("Held-out set: %(n)d texts never used for training") % result)
        self.stdout.write(
            _("Category: accuracy %(category_accuracy).3f, macro-F1 %(category_macro_f1).3f")
            % result
        )
        self.stdout.write(
            _("Tier: accuracy %(tier_accuracy).3f, macro-F1 %(tier_macro_f1).3f") % result
        )
        self.stdout.write(_("F1 per category:"))
        for category, f1 in result["category_f1"].items():
            self.stdout.write(f"  {category:<11} {f1:.3f}")
        self.stdout.write(_("Most frequent confusions (true → predicted: count):"))
        for true, predicted, n in result["confusions"]:
            self.stdout.write(f"  {true} → {predicted}: {n}")
        self.stdout.write(_("Tier confusions:"))
        for true, predicted, n in result["tier_confusions"]:
            self.stdout.write(f"  {true} → {predicted}: {n}")
