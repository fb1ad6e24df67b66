"""The fast path: one iterative walk over a Lexbor tree, blocks scored, the main block kept.

The walk visits each element once, in document order, with an explicit stack (never
recursion: a page may nest a million elements). It removes what is never article text
(scripts, styles, form controls, images), marks boxes that usually hold something else
(navigation, header, footer, hidden elements, share/related/ad boxes by their class
names) and records the text blocks: paragraphs, headings, list items, quotes,
preformatted text, and boxes holding loose text. Each block gives points to its parent
and grandparent, as readability does; the container with most points (with bonuses for
``<article>``, ``<main>``, ``itemprop=articleBody`` and content-like class names) grows to
the ancestor that holds the rest of a split article, and its blocks, in document order,
are the body. A result that would be unsure (short, or a small part of the page's text)
is settled by the page's own metadata: a body holding the start of the page's summary
(``og:description``, ``description``) or starting right under the ``<h1>`` that names the
headline is the article; a summary found elsewhere moves the choice to the container
around it. docs/extraction.md has the rules and the benchmark.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from selectolax.lexbor import LexborHTMLParser, LexborNode

__all__ = ["Block", "FastBody", "find_body"]

# Never article text: removed from the tree when the walk meets them. Navigation and
# asides are among them: they hardly ever hold the article, and are large.
_SKIP_TAGS = frozenset(
    {
        "-comment", "script", "style", "noscript", "template", "svg", "math", "iframe",
        "object", "embed", "canvas", "video", "audio", "map", "button", "select", "option",
        "textarea", "input", "label", "head", "dialog", "figure", "picture", "img", "link",
        "meta", "title", "base", "nav", "aside", "menu",
    }
)  # fmt: skip
# Usually not the article, but some sites wrap the article in them: marked, not removed.
_NEGATIVE_TAGS = frozenset({"footer", "header", "form"})
# Removed from the tree before the walk (after metadata is read from it).
_STRIPPED_TAGS = [
    "script", "style", "noscript", "template", "svg", "math", "iframe", "object", "embed",
    "canvas", "select", "textarea", "button",
]  # fmt: skip
_STRIPPED_SELECTOR = ", ".join(_STRIPPED_TAGS)
# Text blocks whose whole text is taken at once (they cannot hold other blocks).
_LEAF_TAGS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "address"})
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
# Blocks that may hold other blocks: a block only when nothing block-like is inside.
_BOX_TAGS = frozenset(
    {
        "div", "section", "article", "main", "li", "blockquote", "dd", "dt", "td", "th",
        "center", "body", "span", "font", "figcaption", "table", "tbody", "tr", "ul", "ol",
        "dl", "details", "summary",
    }
)  # fmt: skip
# Inline elements whose text never stands alone: never blocks of their own.
_INLINE_BOXES = frozenset({"span", "font"})
_LIST_TAGS = frozenset({"li", "dd", "dt"})

# Class or id words (lower-cased) that mark boxes of other things than the article.
_NEGATIVE_RE = re.compile(
    r"share|sharing|social|related|recommend|newsletter|subscri|promo|advert|sponsor"
    r"|comment|sidebar|side-bar|breadcrumb|cookie|consent|gdpr|popup|modal|banner|menu"
    r"|navbar|navigation|footer|masthead|pagination|pager|trending|popular|outbrain"
    r"|taboola|signup|sign-up|paywall|byline|author-bio|author-box|toolbar|most-read"
    r"|read-more|more-stories|header|print-only|visually-hidden|sr-only|skip-link"
)
# Whole words (between "-", "_" and spaces) that mark them too: too short to be stems.
_NEGATIVE_WORDS = frozenset(
    {"ad", "ads", "adslot", "nav", "tag", "tags", "topics", "caption", "credit", "credits",
     "meta", "embed", "share", "print", "rss"}
)  # fmt: skip
# Words that keep a box despite a negative word: the article's own container.
_POSITIVE_RE = re.compile(
    r"(?:article|post|entry|story|blog|news)[-_]?(?:body|content|text|main)"
    r"|articlebody|main-?content|page-?content|body-?text|prose"
)
_POSITIVE_WORDS = frozenset({"content", "article", "main"})
_CONTENT_HINT_RE = re.compile(r"article|content|entry|post|story|body|text|main|blog|prose")
_WORD_SPLIT = str.maketrans("-_", "  ")
_HIDDEN_STYLE_RE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
# Elements whose class names are read: boxes (not inline text, not the page, not the
# article's own <article>/<main>, which may carry words like "has-sidebar").
_HINTED_TAGS = frozenset(
    {"div", "section", "ul", "ol", "dl", "table", "p", "blockquote", "center", "article",
     "main", "header", "footer", "aside", "nav"}
)  # fmt: skip
_STRUCTURAL_BONUS = {"article": 1.3, "main": 1.2}
# Inline elements: their text belongs to the box around them; the walk does not enter them.
_OPAQUE_TAGS = frozenset(
    {"a", "b", "i", "em", "strong", "small", "u", "s", "sup", "sub", "abbr", "cite", "code",
     "time", "mark", "q", "bdi", "bdo", "kbd", "var", "dfn", "del", "ins", "data", "br",
     "wbr", "hr", "tt", "big", "strike", "nobr"}
)  # fmt: skip
_SKIP_ROLES = frozenset(
    {"navigation", "banner", "contentinfo", "complementary", "menu", "menubar", "dialog",
     "alert", "search", "toolbar", "tablist", "button"}
)  # fmt: skip

MIN_BLOCK_CHARS = 25
"""Shorter blocks score nothing (headings and list items are still kept in the body)."""


class Block(NamedTuple):
    """One text block of the page."""

    text: str
    tag: str
    element: int
    """Pre-order number of the element it came from."""
    parent: int
    """Pre-order number of its nearest enclosing box."""
    links: int
    """Characters of link text inside it."""
    negative: int
    """Pre-order number of its nearest ancestor marked as not-article (class, role,
    hidden, ``<nav>``...), or -1. Such a block is dropped unless the article is inside
    that ancestor too (a page wrapper may be called ``sidebar-layout``)."""


class FastBody(NamedTuple):
    """What the fast path found: the body blocks and how sure it is."""

    paragraphs: list[str]
    unsure: str | None
    """Why the trafilatura fallback should run, or ``None`` when the result is clear."""
    container: str
    """The tag (and class) of the chosen container, for the notes."""
    anchor: str = ""
    """What made an otherwise unsure result sure (the page's summary or headline), or ""."""
    texts: Sequence[str] = ()
    """Every text block of the page, in document order (a date may be printed in any)."""


def _squash(text: str) -> str:
    return " ".join(text.split())


_CLASS_CACHE_SIZE = 4096
"""Class/id strings remembered: pages share most of theirs (menus, grids, widgets)."""
_TOKEN_CACHE_SIZE = 65536
"""Class names remembered one by one: sites share far more of them (``flex``, ``col-md-8``,
``entry-content``) than whole class strings, which every site combines its own way."""
_class_cache: dict[str, tuple[bool, float]] = {}
_token_cache: dict[str, int] = {}
_POSITIVE, _NEGATIVE, _HINT = 1, 2, 4


def _token_flags(token: str) -> int:
    """What one lower-cased class name (or id) says: positive, negative, content hint.

    No pattern spans white space, so judging the names of a class string one by one
    finds what a search over the whole string finds.
    """
    flags = _token_cache.get(token)
    if flags is None:
        words = token.translate(_WORD_SPLIT).split()
        flags = 0
        if _POSITIVE_RE.search(token) is not None or not _POSITIVE_WORDS.isdisjoint(words):
            flags |= _POSITIVE
        if _NEGATIVE_RE.search(token) is not None or not _NEGATIVE_WORDS.isdisjoint(words):
            flags |= _NEGATIVE
        if _CONTENT_HINT_RE.search(token) is not None:
            flags |= _HINT
        if len(_token_cache) >= _TOKEN_CACHE_SIZE:
            _token_cache.clear()
        _token_cache[token] = flags
    return flags


def _classify(words: str) -> tuple[bool, float]:
    """For a class or id string: whether it marks a non-article box, and its content bonus."""
    known = _class_cache.get(words)
    if known is not None:
        return known
    flags = 0
    for token in words.lower().split():
        flags |= _token_flags(token)
    positive = bool(flags & _POSITIVE)
    negative = not positive and bool(flags & _NEGATIVE)
    bonus = 0.4 if positive else (0.15 if flags & _HINT else 0.0)
    if len(_class_cache) >= _CLASS_CACHE_SIZE:
        _class_cache.clear()
    _class_cache[words] = (negative, bonus)
    return negative, bonus


def _hints(attrs: dict[str, str | None]) -> tuple[bool, float]:
    """``_classify`` of an element's class and id together."""
    cls = attrs.get("class")
    ident = attrs.get("id")
    neg_c, bonus_c = _classify(cls) if cls else (False, 0.0)
    neg_i, bonus_i = _classify(ident) if ident else (False, 0.0)
    bonus = max(bonus_c, bonus_i)
    return (neg_c or neg_i) and bonus < 0.4, bonus


_judge_cache: dict[tuple[str, str | None, str | None], tuple[bool, float]] = {}


def _judge(tag: str, attrs: dict[str, str | None]) -> tuple[bool, float]:
    """Whether an element is marked as holding something else than the article, and how
    much more likely than others it is the article's container (1.0: no more)."""
    cls = attrs.get("class")
    ident = attrs.get("id")
    key = (tag, cls, ident)
    judged = _judge_cache.get(key)
    if judged is None:
        negative, bonus = _hints(attrs) if cls or ident else (False, 0.0)
        bonus += _STRUCTURAL_BONUS.get(tag, 1.0)
        if len(_judge_cache) >= _CLASS_CACHE_SIZE:
            _judge_cache.clear()
        judged = _judge_cache[key] = (negative, bonus)
    if len(attrs) == (cls is not None) + (ident is not None):
        return judged
    # Other attributes: hidden elements, roles, inline styles, microdata.
    negative, bonus = judged
    hidden = (
        "hidden" in attrs
        or attrs.get("aria-hidden") == "true"
        or attrs.get("role") in _SKIP_ROLES
        or ("style" in attrs and _HIDDEN_STYLE_RE.search(attrs["style"] or "") is not None)
    )
    if attrs.get("itemprop") == "articleBody":
        bonus += 0.6
    return hidden or negative, bonus


class _Walk:
    """The outcome of one walk: elements' parents, bonuses and negatives, the text blocks."""

    def __init__(self) -> None:
        self.parents: list[int] = []
        self.negatives: list[int] = []
        """For each element, its nearest negative ancestor-or-self, or -1."""
        self.bonus: dict[int, float] = {}
        self.labels: dict[int, str] = {}
        self.blocks: list[Block] = []


def _link_chars(node: LexborNode) -> int:
    # A walk in C over the block's few elements costs less than compiling a CSS selector.
    chars = 0
    for inner in node.traverse():
        if inner.tag == "a":
            chars += len(inner.text())
    return chars


def walk_tree(body: LexborNode) -> _Walk:
    """Walk the subtree of ``body`` once, iteratively; blocks come out in document order."""
    out = _Walk()
    parents = out.parents
    negatives = out.negatives
    blocks = out.blocks
    # is_block[i]: element i is block-level; a box holding one is not a block itself.
    is_block: list[bool] = []
    box_nodes: dict[int, tuple[LexborNode, str]] = {}
    # Entries: (node, parent element number, nearest negative ancestor or -1).
    stack: list[tuple[LexborNode, int, int]] = [(body, -1, -1)]
    skip_tags = _SKIP_TAGS
    leaf_tags = _LEAF_TAGS
    box_tags = _BOX_TAGS
    negative_tags = _NEGATIVE_TAGS
    hinted_tags = _HINTED_TAGS
    opaque_tags = _OPAQUE_TAGS
    push = stack.append
    while stack:
        node, parent, negative = stack.pop()
        tag = node.tag
        if tag is None:
            continue
        # Never-text subtrees leave the tree: a box's text, taken whole later, must not
        # hold them. Their children were not pushed, their siblings are other nodes.
        if tag in skip_tags:
            node.decompose()
            continue
        number = len(parents)
        if tag in negative_tags:
            negative = number
        if tag in hinted_tags:
            attrs = node.attributes
            if attrs:
                marked, bonus = _judge(tag, attrs)
                if marked:
                    negative = number
                if bonus > 1.0:
                    out.bonus[number] = bonus
                    out.labels[number] = f"{tag}.{(attrs.get('class') or '').strip()}"[:60]
            elif tag in _STRUCTURAL_BONUS:
                out.bonus[number] = _STRUCTURAL_BONUS[tag]
        parents.append(parent)
        negatives.append(negative)
        if tag in leaf_tags:
            is_block.append(True)
            text = node.text()
            if text and not text.isspace():
                blocks.append(Block(text, tag, number, parent, _link_chars(node), negative))
            continue
        if tag in box_tags:
            is_block.append(tag not in _INLINE_BOXES)
            box_nodes[number] = (node, tag)
        else:
            is_block.append(False)
            if tag in opaque_tags:
                # Inline text is part of its box's text; blocks inside a link are rare.
                continue
        # Children are pushed last-first so they pop in document order.
        child = node.last_child
        while child is not None:
            if child.is_element_node:
                push((child, number, negative))
            child = child.prev
    # Boxes with no block inside are blocks themselves (text in <div>s and <td>s, list items).
    if box_nodes:
        has_box = [False] * len(parents)
        for i in range(len(parents) - 1, 0, -1):
            if is_block[i] or has_box[i]:
                has_box[parents[i]] = True
        _add_box_blocks(out, box_nodes, has_box)
    return out


def _add_box_blocks(
    out: _Walk, box_nodes: dict[int, tuple[LexborNode, str]], has_box: list[bool]
) -> None:
    extra: list[Block] = []
    parents = out.parents
    negatives = out.negatives
    for number, (node, tag) in box_nodes.items():
        if has_box[number]:
            # A box holding blocks may still hold loose text of its own between them.
            if tag in ("div", "td", "section", "article", "blockquote", "li"):
                own = node.text(deep=False)
                if len(own) > MIN_BLOCK_CHARS and not own.isspace():
                    extra.append(Block(own, "div", number, parents[number], 0, negatives[number]))
            continue
        if tag in _INLINE_BOXES and parents[number] >= 0 and not has_box[parents[number]]:
            continue
        text = node.text()
        if text and not text.isspace():
            links = _link_chars(node)
            extra.append(Block(text, tag, number, parents[number], links, negatives[number]))
    if extra:
        out.blocks.extend(extra)
        out.blocks.sort(key=lambda b: b.element)


NEGATIVE_PENALTY = 0.5
"""A container inside a not-article box scores this fraction (per such box around it)."""


def _score(walk: _Walk, blocks: Sequence[tuple[Block, str]]) -> dict[int, float]:
    parents = walk.parents
    scores: dict[int, float] = {}
    for block, text in blocks:
        size = len(text)
        if size < MIN_BLOCK_CHARS or block.links * 2 > size or block.tag in _HEADINGS:
            continue
        points = 1.0 + text.count(",") + min(size / 100, 3.0)
        points *= 1.0 - block.links / size
        up = block.parent
        share = 1.0
        for _ in range(3):
            if up < 0:
                break
            scores[up] = scores.get(up, 0.0) + points * share
            share /= 2 if share == 1.0 else 1.5
            up = parents[up]
    for number, bonus in walk.bonus.items():
        if number in scores:
            scores[number] *= bonus
    negatives = walk.negatives
    for number in scores:
        neg = negatives[number]
        while neg >= 0:
            scores[number] *= NEGATIVE_PENALTY
            neg = negatives[parents[neg]] if parents[neg] >= 0 else -1
    return scores


def _subtree_ends(parents: list[int]) -> list[int]:
    """For each element, the last pre-order number inside its subtree."""
    ends = list(range(len(parents)))
    for i in range(len(parents) - 1, 0, -1):
        p = parents[i]
        if p >= 0 and ends[i] > ends[p]:
            ends[p] = ends[i]
    return ends


CLIMB_RATIO = 1.0
"""A container grows to its parent when what the parent adds is this much more text than links."""
CLIMB_SLACK = 150
"""Link characters a parent may add regardless (a share row, a tag list)."""


def _text_sums(parents: list[int], blocks: Sequence[tuple[Block, str]]) -> list[int]:
    """For each element, the characters of running text (not links, not headings) inside it."""
    sums = [0] * len(parents)
    for block, text in blocks:
        n = len(text)
        if n >= MIN_BLOCK_CHARS and block.links * 2 <= n and block.tag not in _HEADINGS:
            sums[block.element] += n - block.links
    for i in range(len(parents) - 1, 0, -1):
        p = parents[i]
        if p >= 0:
            sums[p] += sums[i]
    return sums


class _Choice:
    """Which blocks of the page belong to the article grown from the best-scoring ``seed``."""

    def __init__(self, walk: _Walk, seed: int, text: list[int]) -> None:
        self.seed = seed
        self.text = text
        self.ends = _subtree_ends(walk.parents)

    def excluded(self, block: Block) -> bool:
        """Whether ``block`` sits in a not-article box that does not hold the article.

        A marked box around the seed holds the article (a wrapper called
        ``sidebar-layout``); so does a marked box inside it that has most of its text
        (a text widget); any other marked box does not.
        """
        neg = block.negative
        if neg < 0:
            return False
        seed, ends = self.seed, self.ends
        if neg <= seed <= ends[neg]:
            return False
        return not (seed <= neg <= ends[seed] and 2 * self.text[neg] >= self.text[seed])


def _widen(parents: list[int], blocks: Sequence[tuple[Block, str]], choice: _Choice) -> int:
    """Grow the best-scoring container to the ancestor holding the rest of a split article.

    Readability-style scores reach only a few levels up; articles split into many
    sibling boxes (one per section) need their common ancestor. An ancestor is taken
    while what it adds is mostly running text rather than links or not-article boxes.
    """
    size = len(parents)
    good = [0] * size
    bad = [0] * size
    for block, text in blocks:
        n = len(text)
        if choice.excluded(block):
            bad[block.element] += n
        elif n >= MIN_BLOCK_CHARS and block.links * 2 <= n and block.tag not in _HEADINGS:
            good[block.element] += n - block.links
            bad[block.element] += block.links
        else:
            bad[block.element] += block.links
    for i in range(size - 1, 0, -1):
        p = parents[i]
        if p >= 0:
            good[p] += good[i]
            bad[p] += bad[i]
    best = current = choice.seed
    up = parents[current]
    while up >= 0:
        added_good = good[up] - good[current]
        added_bad = bad[up] - bad[current]
        if added_bad > CLIMB_SLACK and added_good < CLIMB_RATIO * added_bad:
            break
        if added_good > 0 or added_bad > 0:
            best = up
        current = up
        up = parents[current]
    return best


_KEY_RE = re.compile(r"\w+")
ANCHOR_WORDS = 8
"""Words of the page's summary looked for in the body: enough to be the article's own."""
MIN_ANCHOR_WORDS = 4
"""A shorter summary (or headline) is too common a phrase to anchor the body."""
HEADLINE_GAP_LINE = 60
"""Longest line allowed between the headline and the body (a byline, a dateline): a longer
one is a paragraph the body left out, so the body is not the one under the headline."""
HEADLINE_GAP_LINES = 2


def _key(text: str) -> str:
    """Lower-cased words joined by spaces: quotes, dashes and markup spacing do not count."""
    return " ".join(_KEY_RE.findall(text.lower()))


def _summary_probe(description: str | None) -> str | None:
    """The start of the page's summary as words, or None when it is too short to tell."""
    if not description:
        return None
    words = _KEY_RE.findall(description.lower())
    if len(words) > ANCHOR_WORDS:
        words = words[:ANCHOR_WORDS]
    elif description.rstrip().endswith(("...", "\u2026")):
        words = words[:-1]  # the last word may be cut
    return " ".join(words) if len(words) >= MIN_ANCHOR_WORDS else None


def _same_headline(text: str, headline: str) -> bool:
    """Whether a heading shows the headline (one may hold the other: a site name, a kicker).
    A headline of a few words ("News") names a section as often as an article."""
    got, want = _key(text), _key(headline)
    if len(got.split()) < MIN_ANCHOR_WORDS or len(want.split()) < MIN_ANCHOR_WORDS:
        return False
    return got in want or want in got


def _running(block: Block, text: str) -> bool:
    """Whether a block is running text (scores), not a heading, a stub or a link list."""
    n = len(text)
    return n >= MIN_BLOCK_CHARS and block.links * 2 <= n and block.tag not in _HEADINGS


class _Kept(NamedTuple):
    paragraphs: list[str]
    elements: list[int]
    chars: int
    total: int


def _collect(blocks: Sequence[tuple[Block, str]], choice: _Choice, best: int) -> _Kept:
    """The blocks of container ``best`` that are article text, and the page's text size."""
    end = choice.ends[best]
    kept: list[str] = []
    elements: list[int] = []
    kept_chars = total_chars = 0
    for block, text in blocks:
        size = len(text)
        good = block.links * 2 <= size or block.tag in _HEADINGS
        if good:
            total_chars += size
        if not (good and best <= block.element <= end):
            continue
        if choice.excluded(block):
            continue
        if block.tag in _LIST_TAGS and block.links * 3 > size * 2:
            continue
        kept.append(text)
        elements.append(block.element)
        kept_chars += size
    return _Kept(kept, elements, kept_chars, total_chars)


def _unsure(kept: _Kept) -> str | None:
    if kept.chars < 200:
        return "too little text"
    if kept.chars < 0.25 * kept.total and kept.total > 2000:
        return "no clear main block"
    return None


def _holds(texts: Iterable[str], probe: str) -> bool:
    return any(probe in _key(text) for text in texts)


def _after_headline(blocks: Sequence[tuple[Block, str]], kept: _Kept, headline: str | None) -> bool:
    """Whether the kept body starts right after the page's headline (an ``<h1>`` naming it):
    at most a couple of short lines (byline, dateline) between them."""
    if not headline or not kept.elements:
        return False
    first = kept.elements[0]
    found = False
    lines = 0
    for block, text in blocks:
        if not found:
            found = block.tag == "h1" and block.element < first and _same_headline(text, headline)
            continue
        if block.element >= first:
            return True
        if _running(block, text):
            lines += 1
            if len(text) > HEADLINE_GAP_LINE or lines > HEADLINE_GAP_LINES:
                return False
    return False


def _reseed(
    walk: _Walk, blocks: Sequence[tuple[Block, str]], text: list[int], probe: str
) -> tuple[_Kept, int] | None:
    """The article grown from the block that opens with the page's summary, when the best
    scoring container does not hold it (a short story among long side columns)."""
    for block, line in blocks:
        if block.negative >= 0 or not _running(block, line) or probe not in _key(line):
            continue
        seed = block.parent if block.parent >= 0 else block.element
        choice = _Choice(walk, seed, text)
        best = _widen(walk.parents, blocks, choice)
        kept = _collect(blocks, choice, best)
        if block.element in kept.elements:
            return kept, best
        return None
    return None


def find_body(
    tree: LexborHTMLParser, *, description: str | None = None, headline: str | None = None
) -> FastBody:
    """The article body of ``tree`` by the fast path, and whether it is sure of it.

    ``description`` (the page's own summary) and ``headline`` (its title), when given,
    settle a result that would be unsure: a body holding the summary, or starting right
    after the ``<h1>`` naming the headline, is the article however short it is or however
    much other text the page has; and a summary found outside the best-scoring container
    moves the choice to the container around it.

    The tree is changed: never-text elements are removed from it.
    """
    body = tree.body
    if body is None:
        return FastBody([], "no <body>", "")
    # A box's text is taken whole, in C: what is never text must be out of the tree first.
    # Last first, so that an element inside another removed one is removed before it.
    for node in reversed(body.css(_STRIPPED_SELECTOR)):
        node.decompose()
    walk = walk_tree(body)
    blocks = [(b, _squash(b.text)) for b in walk.blocks]
    blocks = [(b, t) for b, t in blocks if t]
    if not blocks:
        return FastBody([], "no text blocks", "")
    scores = _score(walk, blocks)
    if not scores:
        return FastBody([], "no block long enough to score", "", "", [t for _, t in blocks])
    seed = max(scores, key=scores.__getitem__)
    text = _text_sums(walk.parents, blocks)
    choice = _Choice(walk, seed, text)
    best = _widen(walk.parents, blocks, choice)
    kept = _collect(blocks, choice, best)
    unsure = _unsure(kept)
    anchor = ""
    if unsure is not None:
        probe = _summary_probe(description)
        if probe is not None and _holds(kept.paragraphs, probe):
            unsure, anchor = None, "the page's summary is in it"
        elif _after_headline(blocks, kept, headline):
            unsure, anchor = None, "it follows the headline"
        elif probe is not None:
            moved = _reseed(walk, blocks, text, probe)
            if moved is not None:
                kept, best = moved
                unsure, anchor = None, "moved to the block holding the page's summary"
    return FastBody(
        kept.paragraphs, unsure, walk.labels.get(best, ""), anchor, [t for _, t in blocks]
    )
