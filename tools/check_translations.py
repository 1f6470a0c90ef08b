"""Are the translation catalogues in sync with the source? Run by ``./dev test``.

For every app with a ``locale/zh_Hans/LC_MESSAGES/django.po``, in a throw-away copy of the
package: Django's ``makemessages`` extracts the app's strings as they are in the source now,
and GNU ``msgcmp`` checks that each of them has a translation (not fuzzy, not empty) in the
catalogues Django will merge at run time (every app's ``django.po``: a string may be
translated by another app's catalogue). The committed ``django.mo`` must be what ``msgfmt``
makes of the committed ``django.po``. Exit status 1 and a list when not; strings the
catalogue holds but the source no longer uses are ignored (they do no harm). One Django
process runs makemessages for every app (about 15 s; a process per app took about 40 s).

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
        # One Django for all apps (makemessages in this process, from each app's folder):
        # starting Django once per app was most of the time.
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gongzhi.settings")
        import django
        from django.core.management import CommandError, call_command

        django.setup()
        here = os.getcwd()
        for app in apps:
            app_copy = copy / app.name
            extracted = app_copy / "extracted.pot"
            # The app's own strings, as makemessages sees them now (into the copy's catalogue).
            os.chdir(app_copy)
            try:
                call_command(
                    "makemessages",
                    locale=["zh_Hans"],
                    no_obsolete=True,
                    no_wrap=True,
                    no_location=True,
                    verbosity=0,
                )
            except CommandError as error:
                problems.append(f"{app.name}: makemessages failed: {error}")
                continue
            finally:
                os.chdir(here)
            shutil.copy(app_copy / CATALOGUE, extracted)
            result = run(["msgcmp", str(merged), str(extracted)])
            if result.returncode:
                missing = _missing(result.stderr, extracted)
                problems.append(
                    f"{app.name}: {len(missing) or 'some'} strings without a translation:\n"
                    + _shorten("\n".join(missing) or result.stderr)
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


def _missing(report: str, extracted: Path) -> list[str]:
    """The msgids msgcmp found without a translation ("this message is not used" is ignored)."""
    lines = extracted.read_text(encoding="utf-8").splitlines()
    missing = []
    for line in report.splitlines():
        if "this message" not in line or "is not used" in line:
            continue
        where, _, problem = line.partition(": ")
        number = where.rpartition(":")[2]
        index = int(number) - 1 if number.isdigit() else len(lines)
        while 0 <= index < len(lines) and not lines[index].startswith("msgid "):
            index -= 1  # msgcmp points at the msgstr; the msgid is above it
        msgid = lines[index] if 0 <= index < len(lines) else line
        missing.append(f"{msgid}  ({problem.strip().split(' in ')[0]})")
    return missing


def _shorten(text: str, limit: int = 40) -> str:
    lines = text.strip().splitlines()
    more = f"\n  … {len(lines) - limit} more lines" if len(lines) > limit else ""
    return "\n".join("  " + line for line in lines[:limit]) + more


if __name__ == "__main__":
    sys.exit(main())
