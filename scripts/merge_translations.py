"""Fill locale/ja/LC_MESSAGES/django.po from the reviewed translations in locale/ja-src/*.json.

Each app's engineers keep their msgid → Japanese pairs in a JSON file of their own, so that
several people can add pages at once without editing the generated catalogue. `make messages`
runs makemessages, this script and compilemessages. Prints msgids that have no translation.
"""

import json
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    translations: dict[str, str] = {}
    for source in sorted((ROOT / "locale" / "ja-src").glob("*.json")):
        translations.update(json.loads(source.read_text(encoding="utf-8")))
    po = polib.pofile(str(ROOT / "locale" / "ja" / "LC_MESSAGES" / "django.po"))
    missing = []
    for entry in po:
        if entry.msgid in translations:
            if entry.msgid_plural:
                # Japanese has one plural form (nplurals=1): msgstr[0] serves every count.
                entry.msgstr_plural = {0: translations[entry.msgid]}
            else:
                entry.msgstr = translations[entry.msgid]
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
        elif not (entry.msgstr or any(entry.msgstr_plural.values())) or "fuzzy" in entry.flags:
            missing.append(entry.msgid)
    po.metadata.update(
        {
            "Language": "ja",
            "Content-Type": "text/plain; charset=UTF-8",
            "Plural-Forms": "nplurals=1; plural=0;",
        }
    )
    po.save()
    for msgid in missing:
        print(f"untranslated: {msgid!r}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
