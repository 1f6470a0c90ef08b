"""Are the translation catalogues in sync with the source? Run by ``./dev test``.

For every app with a ``locale/zh_Hans/LC_MESSAGES/django.po``, in a throw-away copy of the
package: Django's ``makemessages`` extracts the app's strings as they are in the source now,
and GNU ``msgcmp`` checks that each of them has a translation (not fuzzy, not empty) in the
catalogues Django will merge at run time (every app's ``django.po``: a string may be
translated by another app's catalogue). The committed ``django.mo`` must be what ``msgfmt``
makes of the committed ``django.po``. Exit status 1 and a list when not; strings the
catalogue holds but the source no longer uses are only counted (they do no harm).

    .venv/bin/python tools/check_translations.py
"""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "gongzhi"
CATALOGUE = Path("locale/zh_Hans/LC_MESSAGES/django.po")


def run(args: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False)


def main() -> int:
    apps = sorted(p.parent.parent.parent.parent for p in PACKAGE.glob("*/" + str(CATALOGUE)))
    problems: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "gongzhi"
        shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
        merged = Path(tmp) / "merged.po"
        result = run(["msgcat", "--use-first", "-o", str(merged), *map(str, _catalogues(apps))])
        if result.returncode:
            print(result.stderr, file=sys.stderr)
            return 1
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "gongzhi.settings"}
        for app in apps:
            app_copy = copy / app.name
            extracted = app_copy / "extracted.pot"
            # The app's own strings, as makemessages sees them now (into the copy's catalogue).
            result = subprocess.run(
                # django-admin, not ``python -m django``: the app's folder would come first on
                # sys.path and its selectors.py would shadow the standard library's.
                [
                    str(Path(sys.executable).with_name("django-admin")),
                    "makemessages",
                    "-l",
                    "zh_Hans",
                    "--no-obsolete",
                    "--no-wrap",
                    "--no-location",
                ],
                cwd=app_copy,
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            if result.returncode:
                problems.append(f"{app.name}: makemessages failed: {result.stderr.strip()}")
                continue
            shutil.copy(app_copy / CATALOGUE, extracted)
            result = run(["msgcmp", str(merged), str(extracted)])
            if result.returncode:
                missing = [line for line in result.stderr.splitlines() if "this message" in line]
                problems.append(
                    f"{app.name}: {len(missing) or 'some'} strings without a translation:\n"
                    + _shorten(result.stderr)
                )
            compiled = Path(tmp) / f"{app.name}.mo"
            run(["msgfmt", "-o", str(compiled), str(app / CATALOGUE)])
            committed = (app / CATALOGUE).with_suffix(".mo")
            if not committed.exists() or committed.read_bytes() != compiled.read_bytes():
                problems.append(f"{app.name}: django.mo is not compiled from django.po (msgfmt)")
    for problem in problems:
        print(problem)
    print(f"translations: {len(apps)} catalogues, {len(problems)} problems")
    return 1 if problems else 0


def _catalogues(apps: list[Path]) -> list[Path]:
    return [app / CATALOGUE for app in apps] + list((PACKAGE / "locale").glob("*/LC_MESSAGES/*.po"))


def _shorten(text: str, limit: int = 40) -> str:
    lines = text.strip().splitlines()
    more = f"\n  … {len(lines) - limit} more lines" if len(lines) > limit else ""
    return "\n".join("  " + line for line in lines[:limit]) + more


if __name__ == "__main__":
    sys.exit(main())
