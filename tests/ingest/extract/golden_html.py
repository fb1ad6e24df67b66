"""Golden HTML pages: each ``golden/NAME.html`` with the article expected from it in ``NAME.json``.

The pages are written by hand for these tests (news layouts the extractor must handle).
After a deliberate change to HTML extraction, regenerate the expected files and read the
diff before keeping it::

    python -m tests.ingest.extract.golden_html --write
    git diff tests/ingest/extract/golden/

Without ``--write`` it only lists the pages whose output differs from their golden file.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from newsingest.ingest.extract import extract_article
from newsingest.records import Article, DecodedText
from tests.ingest.extract_helpers import UTF8, as_golden

GOLDEN = Path(__file__).parent / "golden"


def golden_pages() -> list[Path]:
    return sorted(GOLDEN.glob("*.html"))


def extract_page(path: Path) -> Article:
    doc = DecodedText(
        id=path.name,
        path=str(path),
        format="html",
        text=path.read_text(encoding="utf-8"),
        decoding=UTF8,
    )
    return extract_article(doc)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite the expected files")
    args = parser.parse_args(argv)
    changed = 0
    for page in golden_pages():
        got = as_golden(extract_page(page))
        target = page.with_suffix(".json")
        old = json.loads(target.read_text(encoding="utf-8")) if target.exists() else None
        if got == old:
            continue
        changed += 1
        print(f"{'rewrote' if args.write else 'differs'}: {target.name}")
        if args.write:
            target.write_text(json.dumps(got, indent=2, ensure_ascii=False) + "\n", "utf-8")
    return 1 if changed and not args.write else 0


if __name__ == "__main__":
    raise SystemExit(main())
