"""Evaluate HTML article extraction on real pages: body, title, date, author and CPU time.

On ``html/wcxb-articles`` (711 article pages from ~700 sites, with reviewed ground
truth; its README explains the scoring), in one run and on one core::

    python -m benchmarks.html_eval --data ../shared/data [--json PATH] [--limit N] [--parsers]

compares newsingest's extractor (the fast path with its trafilatura fallback), the
fast path alone, trafilatura's ``bare_extraction``, and resiliparse's main-content
extraction when it is installed. Scores are the benchmark's own: body word-F1 over
lower-cased ``\\w+`` tokens counted with multiplicity; title exact on lower-cased
words; date exact on pages whose ground truth has a date; ``with``/``without``
snippets found (must be) / not found (must not be) in title + body, as word sequences.
Time is CPU time (``time.process_time``) per page, the extractor's own parse included.
``--parsers`` first times the HTML parsers alone (parse; parse and visit every element
from Python with an explicit stack), which is how the fast path's parser was chosen.
Every 5th page (the 5th, 10th, ...) is held out: the heuristics were tuned on the
others, and both parts are reported so an overfit shows.

``--outlet-folder PATH`` evaluates instead a sample (``--sample N``) of the web pages of
a realistic folder built by :mod:`benchmarks.speedcorpus` (``--html-share``): real
outlet pages, each carrying a story whose paragraphs are the truth for the body. It
reports how often the fast path is unsure (by reason) and the body word-F1 of the fast
path alone, of trafilatura and of newsingest's final output, on all sampled pages and
apart on those where the wrapper put the story inside a navigation menu or side column
(no extractor should take a menu as the article there)::

    python -m benchmarks.html_eval --data ../shared/data \
        --outlet-folder /tmp/ns-speed14/corpus-s1-n9300-html25 --sample 400
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from benchmarks._common import format_table, machine_info, write_json
from newsingest.config import ExtractConfig
from newsingest.errors import ExtractError
from newsingest.ingest.extract.html import extract_html
from newsingest.records import DecodedText, Decoding

__all__ = ["Extracted", "Page", "evaluate", "load_pages", "main", "score"]

_WORD_RE = re.compile(r"\w+")
_UTF8 = Decoding(encoding="utf-8", method="utf-8", confidence=1.0)
HOLDOUT_EVERY = 5
GOALS = {"speedup": 10.0, "speedup_floor": 5.0, "f1_mean": 0.94, "title": 0.80, "date": 0.92}


class Page(NamedTuple):
    name: str
    html: str
    truth: dict[str, Any]
    holdout: bool


class Extracted(NamedTuple):
    title: str | None
    body: str
    date: str | None
    author: str | None
    fallback: bool


def load_pages(data: Path, limit: int | None = None) -> list[Page]:
    folder = data / "html" / "wcxb-articles"
    files = sorted((folder / "html").glob("*.html.gz"))
    if limit is not None:
        files = files[:limit]
    pages = []
    for n, path in enumerate(files, 1):
        name = path.name.removesuffix(".html.gz")
        html = gzip.decompress(path.read_bytes()).decode("utf-8", errors="replace")
        truth = json.loads((folder / "ground-truth" / f"{name}.json").read_text("utf-8"))
        pages.append(Page(name, html, truth["ground_truth"], n % HOLDOUT_EVERY == 0))
    return pages


def _words(text: str | None) -> list[str]:
    return _WORD_RE.findall(text.lower()) if text else []


def word_f1(predicted: str, reference: str) -> float:
    got, want = Counter(_words(predicted)), Counter(_words(reference))
    overlap = sum((got & want).values())
    if not overlap:
        return 1.0 if not got and not want else 0.0
    precision = overlap / sum(got.values())
    recall = overlap / sum(want.values())
    return 2 * precision * recall / (precision + recall)


def _contains(words: Sequence[str], snippet: Sequence[str]) -> bool:
    if not snippet:
        return True
    first, size = snippet[0], len(snippet)
    return any(
        words[i] == first and list(words[i : i + size]) == list(snippet)
        for i in range(len(words) - size + 1)
    )


# ---------------------------------------------------------------- extractors


def _newsingest(fallback: bool) -> Callable[[Page], Extracted]:
    config = ExtractConfig()

    def run(page: Page) -> Extracted:
        doc = DecodedText(
            id=page.name, path=page.name, format="html", text=page.html, decoding=_UTF8
        )
        try:
            article = extract_html(doc, config, fallback=fallback)
        except ExtractError:
            return Extracted(None, "", None, None, False)
        return Extracted(
            article.title,
            article.body,
            article.date.isoformat() if article.date else None,
            article.byline,
            any("trafilatura fallback" in n for n in article.notes),
        )

    return run


def _trafilatura() -> Callable[[Page], Extracted] | str:
    try:
        import trafilatura  # noqa: PLC0415
    except ImportError as exc:
        return f"not importable ({exc})"
    import logging  # noqa: PLC0415

    for name in ("trafilatura", "htmldate", "courlan", "justext"):
        logging.getLogger(name).setLevel(logging.CRITICAL)

    def run(page: Page) -> Extracted:
        result = trafilatura.bare_extraction(
            page.html, with_metadata=True, include_comments=False, include_tables=True
        )
        if result is None:
            return Extracted(None, "", None, None, False)
        data = result if isinstance(result, dict) else result.as_dict()
        return Extracted(
            data.get("title"), data.get("text") or "", data.get("date"), data.get("author"), False
        )

    return run


def _resiliparse() -> Callable[[Page], Extracted] | str:
    try:
        from resiliparse.extract.html2text import extract_plain_text  # noqa: PLC0415
        from resiliparse.parse.html import HTMLTree  # noqa: PLC0415
    except ImportError as exc:
        return f"not importable ({exc.__class__.__name__}); install resiliparse to compare"

    def run(page: Page) -> Extracted:
        tree = HTMLTree.parse(page.html)
        body = extract_plain_text(tree, main_content=True)
        return Extracted(tree.title or None, body, None, None, False)

    return run


# ---------------------------------------------------------------- scoring


def score(pages: Sequence[Page], outputs: Sequence[Extracted]) -> dict[str, Any]:
    """The benchmark's measures over ``pages`` for one extractor's ``outputs``."""
    f1s = [
        word_f1(o.body, p.truth.get("main_content") or "")
        for p, o in zip(pages, outputs, strict=True)
    ]
    titles = sum(
        _words(o.title) == _words(p.truth.get("title"))
        for p, o in zip(pages, outputs, strict=True)
        if p.truth.get("title")
    )
    with_title = sum(1 for p in pages if p.truth.get("title"))
    dated = [(p, o) for p, o in zip(pages, outputs, strict=True) if p.truth.get("publish_date")]
    dates = sum(
        o.date is not None and o.date[:10] == p.truth["publish_date"][:10] for p, o in dated
    )
    authored = [(p, o) for p, o in zip(pages, outputs, strict=True) if p.truth.get("author")]
    authors = sum(_words(o.author) == _words(p.truth["author"]) for p, o in authored)
    reported = sum(o.author is not None for o in outputs)
    with_ok = with_all = without_ok = without_all = 0
    for p, o in zip(pages, outputs, strict=True):
        words = _words((o.title or "") + "\n" + o.body)
        for snippet in p.truth.get("with") or []:
            with_all += 1
            with_ok += _contains(words, _words(snippet))
        for snippet in p.truth.get("without") or []:
            without_all += 1
            without_ok += not _contains(words, _words(snippet))
    return {
        "pages": len(pages),
        "f1_mean": statistics.fmean(f1s) if f1s else float("nan"),
        "f1_median": statistics.median(f1s) if f1s else float("nan"),
        "title_exact": titles / with_title if with_title else float("nan"),
        "date_exact": dates,
        "date_pages": len(dated),
        "author_reported": reported,
        "author_exact": authors,
        "author_pages": len(authored),
        "with_pass": with_ok / with_all if with_all else float("nan"),
        "without_pass": without_ok / without_all if without_all else float("nan"),
        "fallbacks": sum(o.fallback for o in outputs),
    }


def evaluate(pages: Sequence[Page], run: Callable[[Page], Extracted]) -> dict[str, Any]:
    """Run one extractor over ``pages``; scores for all, tuning and held-out pages."""
    outputs: list[Extracted] = []
    seconds = 0.0
    for page in pages:
        start = time.process_time()
        out = run(page)
        seconds += time.process_time() - start
        outputs.append(out)
    tune = [i for i, p in enumerate(pages) if not p.holdout]
    held = [i for i, p in enumerate(pages) if p.holdout]
    result = score(pages, outputs)
    result["ms_per_page"] = 1000 * seconds / len(pages) if pages else float("nan")
    result["tuning"] = score([pages[i] for i in tune], [outputs[i] for i in tune])
    result["holdout"] = score([pages[i] for i in held], [outputs[i] for i in held])
    return result


# ---------------------------------------------------------------- parsers


def _walk_selectolax(html: str) -> int:
    from selectolax.lexbor import LexborHTMLParser  # noqa: PLC0415

    root = LexborHTMLParser(html).root
    stack = [root] if root is not None else []
    seen = 0
    while stack:
        node = stack.pop()
        seen += node.tag is not None
        child = node.child
        while child is not None:
            if child.is_element_node:
                stack.append(child)
            child = child.next
    return seen


def _walk_resiliparse(html: str) -> int:
    from resiliparse.parse.html import HTMLTree, NodeType  # noqa: PLC0415

    stack = [HTMLTree.parse(html).document]
    seen = 0
    while stack:
        node = stack.pop()
        seen += node.tag is not None
        child = node.first_child
        while child is not None:
            if child.type == NodeType.ELEMENT:
                stack.append(child)
            child = child.next
    return seen


def compare_parsers(pages: Sequence[Page]) -> dict[str, float | str]:
    """CPU ms per page to parse, and to parse and visit every element from Python."""
    runs: dict[str, Callable[[str], object]] = {}
    try:
        from selectolax.lexbor import LexborHTMLParser  # noqa: PLC0415

        runs["selectolax parse"] = LexborHTMLParser
        runs["selectolax parse + walk"] = _walk_selectolax
    except ImportError:
        pass
    try:
        from resiliparse.parse.html import HTMLTree  # noqa: PLC0415

        runs["resiliparse parse"] = HTMLTree.parse
        runs["resiliparse parse + walk"] = _walk_resiliparse
    except ImportError:
        pass
    out: dict[str, float | str] = {}
    for name, run in runs.items():
        start = time.process_time()
        for page in pages:
            run(page.html)
        out[name] = 1000 * (time.process_time() - start) / len(pages)
    return out


def _held_out_dates(r: dict[str, Any]) -> str:
    if not r["date_exact"] or not r["date_pages"]:
        return "—"
    return f"{r['date_exact']}/{r['date_pages']} ({r['date_exact'] / r['date_pages']:.1%})"


def _row(name: str, r: dict[str, Any], traf_ms: float | None) -> list[str]:
    speed = f"{traf_ms / r['ms_per_page']:.1f}×" if traf_ms else "—"
    dates = f"{r['date_exact']}/{r['date_pages']}" if r["date_exact"] else "—"
    return [
        name,
        f"{r['f1_mean']:.3f} / {r['f1_median']:.3f}",
        f"{r['holdout']['f1_mean']:.3f}",
        f"{r['title_exact']:.3f}",
        f"{r['holdout']['title_exact']:.3f}",
        dates + (f" ({r['date_exact'] / r['date_pages']:.1%})" if r["date_exact"] else ""),
        _held_out_dates(r["holdout"]),
        f"{r['author_reported']} / {r['author_exact']}/{r['author_pages']}",
        f"{r['with_pass']:.3f} / {r['without_pass']:.3f}",
        f"{r['ms_per_page']:.2f}",
        speed,
        f"{r['fallbacks']} ({r['fallbacks'] / r['pages']:.1%})" if r["fallbacks"] else "0",
    ]


HEADERS = (
    "extractor",
    "body F1 mean / median",
    "F1 held out",
    "title exact",
    "title held out",
    "date exact",
    "date held out",
    "author reported / exact",
    "with / without pass",
    "ms/page",
    "speed vs trafilatura",
    "trafilatura fallbacks",
)


# ---------------------------------------------------------------- outlet folder

# A wrapper may have put the story where the page had a menu (a menu item's text was
# also in the page's article): ancestors that show it.
_MENU_TAGS = frozenset({"nav", "aside", "menu", "details", "footer"})
_MENU_RE = re.compile(r"menu|nav|sidebar|dropdown|drawer")


def load_outlet_pages(data: Path, folder: Path, sample: int, seed: int = 7) -> list[Page]:
    """``sample`` web pages of a speedcorpus folder, each with its story as the truth."""
    from benchmarks.speedcorpus import load_articles, plan_stories  # noqa: PLC0415

    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    # The folder's stories, in file order, as the build drew them.
    _, stories = plan_stories(
        load_articles(data), manifest["docs"], random.Random(manifest["seed"])
    )
    files = sorted((folder / "articles").glob("*/*.html*"))
    chosen = sorted(random.Random(seed).sample(files, min(sample, len(files))))
    pages = []
    for path in chosen:
        title, paragraphs, header = stories[int(path.name.split(".", 1)[0])]
        raw = path.read_bytes()
        html = (gzip.decompress(raw) if path.suffix == ".gz" else raw).decode("utf-8", "replace")
        body = "\n".join(([header] if header else []) + list(paragraphs))
        truth = {"title": title, "main_content": body, "first": paragraphs[0] if paragraphs else ""}
        pages.append(Page(path.name, html, truth, False))
    return pages


def _story_in_menu(page: Page) -> bool:
    from selectolax.lexbor import LexborHTMLParser  # noqa: PLC0415

    first = " ".join(str(page.truth["first"]).split())[:40]
    if not first:
        return False
    for p in LexborHTMLParser(page.html).css("p"):
        if first in " ".join((p.text() or "").split()):
            node = p.parent
            while node is not None and node.tag not in ("body", "html"):
                attrs = node.attributes
                words = f"{attrs.get('class') or ''} {attrs.get('id') or ''}".lower()
                if node.tag in _MENU_TAGS or _MENU_RE.search(words):
                    return True
                node = node.parent
            return False
    return False


def evaluate_outlets(pages: Sequence[Page]) -> dict[str, Any]:
    """Unsure reasons and body word-F1 (fast path, trafilatura, final) on outlet pages."""
    traf = _trafilatura()
    if isinstance(traf, str):
        raise SystemExit(f"trafilatura is needed for --outlet-folder: {traf}")
    config = ExtractConfig()
    reasons: Counter[str] = Counter()
    anchors: Counter[str] = Counter()
    rows: list[dict[str, Any]] = []
    fast_cpu = 0.0
    for page in pages:
        doc = DecodedText(
            id=page.name, path=page.name, format="html", text=page.html, decoding=_UTF8
        )
        started = time.process_time()
        try:
            fast = extract_html(doc, config, fallback=False)
            fast_body, notes = fast.body, fast.notes
        except ExtractError as exc:
            fast_body, notes = "", (f"html: fast, unsure ({exc}), no fallback asked",)
        fast_cpu += time.process_time() - started
        note = notes[0]
        reason = ""
        for mark in ("unsure (", "fallback (", "found no body"):
            if mark in note:
                reason = note.split(mark, 1)[1].split(")", 1)[0] or "no body"
                # Nothing at all from the fast path: the fallback ran even so.
                fast_body = fast_body if mark == "unsure (" else ""
                break
        reasons[reason or "sure"] += 1
        if note.startswith("html: fast ("):
            anchors[note[len("html: fast (") : -1]] += 1
        try:
            final = extract_html(doc, config).body
        except ExtractError:
            final = ""
        want = str(page.truth["main_content"])
        rows.append(
            {
                "page": page.name,
                "unsure": reason,
                "menu": _story_in_menu(page),
                "fast": word_f1(fast_body, want),
                "trafilatura": word_f1(traf(page).body, want),
                "final": word_f1(final, want),
            }
        )
    groups = {
        "all": rows,
        "story in the page's article area": [r for r in rows if not r["menu"]],
        "story in a menu or side column": [r for r in rows if r["menu"]],
        "fast path unsure": [r for r in rows if r["unsure"]],
    }
    return {
        "pages": len(rows),
        "unsure": dict(reasons),
        "anchors": dict(anchors),
        "fast_ms_per_page": 1000 * fast_cpu / max(1, len(rows)),
        "groups": {
            name: {
                "pages": len(group),
                "unsure": sum(1 for r in group if r["unsure"]),
                **{
                    key: statistics.fmean(r[key] for r in group) if group else 0.0
                    for key in ("fast", "trafilatura", "final")
                },
            }
            for name, group in groups.items()
        },
        "rows": rows,
    }


def outlet_table(results: dict[str, Any]) -> str:
    headers = ("pages", "n", "fast path unsure", "F1 fast path", "F1 trafilatura", "F1 final")
    return format_table(
        headers,
        [
            (
                name,
                str(g["pages"]),
                str(g["unsure"]),
                f"{g['fast']:.3f}",
                f"{g['trafilatura']:.3f}",
                f"{g['final']:.3f}",
            )
            for name, g in results["groups"].items()
        ],
    )


def _outlet_main(args: argparse.Namespace) -> int:
    pages = load_outlet_pages(args.data, args.outlet_folder, args.sample)
    if not pages:
        print(f"no web pages under {args.outlet_folder / 'articles'}", file=sys.stderr)
        return 2
    results = evaluate_outlets(pages)
    print(f"## Outlet folder: {results['pages']} pages of {args.outlet_folder}\n")
    print(outlet_table(results))
    unsure = ", ".join(f"{k}: {v}" for k, v in sorted(results["unsure"].items()))
    anchors = ", ".join(f"{k}: {v}" for k, v in sorted(results["anchors"].items()))
    print(f"\nfast path: {unsure}; made sure by {anchors or 'nothing'}")
    print(f"fast path alone: {results['fast_ms_per_page']:.2f} CPU ms/page")
    if args.json:
        write_json(args.json, results)
    return 0


def table(results: dict[str, Any]) -> str:
    methods = results["methods"]
    traf = methods.get("trafilatura bare_extraction")
    traf_ms = traf["ms_per_page"] if isinstance(traf, dict) and "ms_per_page" in traf else None
    rows = [_row(name, r, traf_ms) for name, r in methods.items() if "ms_per_page" in r]
    return format_table(HEADERS, rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="the shared data folder")
    parser.add_argument("--json", type=Path, help="also write the results here as JSON")
    parser.add_argument("--limit", type=int, help="only the first N pages")
    parser.add_argument(
        "--only", action="append", help="only the extractors whose name holds this (repeatable)"
    )
    parser.add_argument("--parsers", action="store_true", help="also time the parsers alone")
    parser.add_argument(
        "--outlet-folder",
        type=Path,
        help="instead, evaluate the web pages of this benchmarks.speedcorpus folder",
    )
    parser.add_argument(
        "--sample", type=int, default=400, help="pages sampled from --outlet-folder"
    )
    args = parser.parse_args(argv)
    if args.outlet_folder is not None:
        return _outlet_main(args)
    pages = load_pages(args.data, args.limit)
    if not pages:
        print(f"no pages under {args.data / 'html' / 'wcxb-articles'}", file=sys.stderr)
        return 2
    extractors: dict[str, Callable[[Page], Extracted] | str] = {
        "newsingest (fast + fallback)": _newsingest(fallback=True),
        "newsingest fast path alone": _newsingest(fallback=False),
        "trafilatura bare_extraction": _trafilatura(),
        "resiliparse main content": _resiliparse(),
    }
    methods: dict[str, Any] = {}
    started = time.time()
    parsers = compare_parsers(pages) if args.parsers else None
    for name, run in extractors.items():
        if args.only and not any(o in name for o in args.only):
            continue
        if isinstance(run, str):
            methods[name] = {"skipped": run}
            print(f"{name}: skipped, {run}", file=sys.stderr)
            continue
        # One warm-up page: imports and first-call setup are not per-page costs.
        run(pages[0])
        methods[name] = evaluate(pages, run)
        print(f"{name}: {methods[name]['ms_per_page']:.2f} ms/page", file=sys.stderr)
    results = {
        "pages": len(pages),
        "holdout_every": HOLDOUT_EVERY,
        "goals": GOALS,
        "methods": methods,
        "parsers": parsers,
        "seconds": time.time() - started,
        "machine": machine_info(["newsingest", "selectolax", "trafilatura", "resiliparse"]),
    }
    print(f"## HTML extraction: {len(pages)} wcxb article pages, one core, CPU time\n")
    print(table(results))
    if parsers:
        print("\n## parsers: CPU ms per page\n")
        print(format_table(("parser", "ms/page"), [(k, f"{v:.2f}") for k, v in parsers.items()]))
    for name, r in methods.items():
        if "skipped" in r:
            print(f"\n{name}: skipped ({r['skipped']})")
    if args.json:
        write_json(args.json, results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
