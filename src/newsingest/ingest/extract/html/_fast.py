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
from collections.abc import Iterable, Iterator, Sequence
from functools import partial
from itertools import accumulate
from operator import itemgetter
from typing import Any, NamedTuple

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


def _any_of(words: Iterable[str]) -> str:
    """A regular expression matching any of ``words``, branching one character at a time:
    a search tries a few branches at each position of the text, not every word."""
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def branch(node: dict[str, Any]) -> str:
        alternatives = [re.escape(c) + branch(rest) for c, rest in sorted(node.items()) if c]
        if not alternatives:
            return ""
        group = alternatives[0] if len(alternatives) == 1 else f"(?:{'|'.join(alternatives)})"
        if "" in node:
            return group + "?" if len(alternatives) > 1 else f"(?:{group})?"
        return group

    return branch(trie)


# Class or id words (lower-cased) that mark boxes of other things than the article.
_NEGATIVE_STEMS = (
    "share", "sharing", "social", "related", "recommend", "newsletter", "subscri", "promo",
    "advert", "sponsor", "comment", "sidebar", "side-bar", "breadcrumb", "cookie", "consent",
    "gdpr", "popup", "modal", "banner", "menu", "navbar", "navigation", "footer", "masthead",
    "pagination", "pager", "trending", "popular", "outbrain", "taboola", "signup", "sign-up",
    "paywall", "byline", "author-bio", "author-box", "toolbar", "most-read", "read-more",
    "more-stories", "header", "print-only", "visually-hidden", "sr-only", "skip-link",
)  # fmt: skip
_NEGATIVE_RE = re.compile(_any_of(_NEGATIVE_STEMS))
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
_HIDDEN_STYLE_RE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
# Elements whose class names are read: boxes (not inline text, not the page, not the
# article's own <article>/<main>, which may carry words like "has-sidebar").
_HINTED_TAGS = frozenset(
    {"div", "section", "ul", "ol", "dl", "table", "p", "blockquote", "center", "article",
     "main", "header", "footer", "aside", "nav"}
)  # fmt: skip
_STRUCTURAL_BONUS = {"article": 1.3, "main": 1.2}


def _stem_or_word(stems: re.Pattern[str], words: Iterable[str]) -> re.Pattern[str]:
    """A search for ``stems`` anywhere, or one of ``words`` whole, in a class name without
    white space: a word is between the name's ends, "-" and "_"."""
    return re.compile(f"{stems.pattern}|(?<![^-_])(?:{_any_of(words)})(?![^-_])")


_NEGATIVE_NAME_RE = _stem_or_word(_NEGATIVE_RE, _NEGATIVE_WORDS)
_POSITIVE_NAME_RE = _stem_or_word(_POSITIVE_RE, _POSITIVE_WORDS)
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


# A NamedTuple's own constructor is Python code; the walk makes hundreds of blocks a page.
_block = partial(tuple.__new__, Block)


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


_JUDGE_CACHE_SIZE = 16384
"""Elements' tag, class and id remembered: a page repeats its own (menus, grids, widgets)."""
_TOKEN_CACHE_SIZE = 65536
"""Class names remembered one by one: sites share far more of them (``flex``, ``col-md-8``,
``entry-content``) than whole class strings, which every site combines its own way."""
_token_cache: dict[str, int] = {}
_POSITIVE, _NEGATIVE, _HINT = 1, 2, 4


def _token_flags(token: str) -> int:
    """What one lower-cased class name (or id) without white space says: positive,
    negative, content hint.

    No pattern spans white space, so judging the names of a class string one by one
    finds what a search over the whole string finds.
    """
    flags = 0
    # Every positive pattern and word holds a content hint: without a hint, no need to look.
    if _CONTENT_HINT_RE.search(token) is not None:
        flags |= _HINT
        if _POSITIVE_NAME_RE.search(token) is not None:
            flags |= _POSITIVE
    if _NEGATIVE_NAME_RE.search(token) is not None:
        flags |= _NEGATIVE
    if len(_token_cache) >= _TOKEN_CACHE_SIZE:
        _token_cache.clear()
    _token_cache[token] = flags
    return flags


def _judge_names(tag: str, cls: str | None, ident: str | None) -> tuple[bool, float]:
    """``_judge`` by the tag and the class and id names alone.

    The class and id are judged as one list of names: a positive name in either keeps
    the element, as the article's own container.
    """
    flags = 0
    if cls or ident:
        known = _token_cache.get
        for token in f"{cls or ''} {ident or ''}".lower().split():
            found = known(token)
            flags |= _token_flags(token) if found is None else found
    positive = bool(flags & _POSITIVE)
    negative = not positive and bool(flags & _NEGATIVE)
    bonus = 0.4 if positive else (0.15 if flags & _HINT else 0.0)
    return negative, bonus + _STRUCTURAL_BONUS.get(tag, 1.0)


_judge_cache: dict[tuple[str, str | None, str | None], tuple[bool, float]] = {}


def _judge(tag: str, attrs: dict[str, str | None]) -> tuple[bool, float]:
    """Whether an element is marked as holding something else than the article, and how
    much more likely than others it is the article's container (1.0: no more)."""
    cls = attrs.get("class")
    ident = attrs.get("id")
    key = (tag, cls, ident)
    judged = _judge_cache.get(key)
    if judged is None:
        judged = _judge_names(tag, cls, ident)
        if len(_judge_cache) >= _JUDGE_CACHE_SIZE:
            _judge_cache.clear()
        _judge_cache[key] = judged
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
        self.ends: list[int] = []
        """For each element, the last number inside its subtree."""
        self.negatives: list[int] = []
        """For each element, its nearest negative ancestor-or-self, or -1."""
        self.bonus: dict[int, float] = {}
        self.labels: dict[int, str] = {}
        self.blocks: list[Block] = []


def _link_chars(node: LexborNode) -> int:
    # A walk in C over the block's few elements costs less than compiling a CSS selector.
    chars = 0
    for inner in node.traverse():
        if inner.tag_id == _A_TAG_ID:
            chars += len(inner.text())
    return chars


# What the walk does with an element, by its tag: one look-up per element.
_K_SKIP, _K_LEAF, _K_BOX, _K_BLOCK_BOX, _K_OPAQUE, _K_NEGATIVE, _K_HINTED, _K_IGNORE = (
    1 << n for n in range(8)
)
# Tags the walk meets that it has no rule for: known to the parser, so known by number.
_PLAIN_TAGS = (
    "html", "thead", "tfoot", "caption", "col", "colgroup", "fieldset", "legend", "optgroup",
    "output", "progress", "meter", "ruby", "rt", "rp", "samp", "hgroup", "area", "source",
    "track", "param", "frame", "frameset", "noframes", "xmp", "listing", "plaintext",
    "marquee", "applet", "basefont", "acronym", "keygen", "search", "slot",
)  # fmt: skip


def _tag_kinds() -> dict[str, int]:
    kinds: dict[str, int] = {}
    for tags, kind in (
        (_SKIP_TAGS, _K_SKIP),
        (_LEAF_TAGS, _K_LEAF),
        (_BOX_TAGS, _K_BOX),
        (_BOX_TAGS - _INLINE_BOXES, _K_BLOCK_BOX),
        (_OPAQUE_TAGS, _K_OPAQUE),
        (_NEGATIVE_TAGS, _K_NEGATIVE),
        (_HINTED_TAGS, _K_HINTED),
        (_PLAIN_TAGS, 0),
    ):
        for tag in tags:
            kinds[tag] = kinds.get(tag, 0) | kind
    # Comments are passed over, not removed.
    kinds["-comment"] = _K_IGNORE
    return kinds


_TAG_KINDS = _tag_kinds()


def _tag_ids(tags: Iterable[str]) -> dict[str, int]:
    """The parser's number for each of ``tags`` it numbers the same in every document (an
    unknown tag's number is its own per document): reading it costs less than the name."""
    first, second = LexborHTMLParser(""), LexborHTMLParser("<p>")
    ids = {}
    for tag in tags:
        tag_id = first.create_node(tag).tag_id
        if tag_id == second.create_node(tag).tag_id:
            ids[tag] = tag_id
    return ids


def _kinds_by_id() -> dict[int, tuple[int, str]]:
    """``_TAG_KINDS`` by tag number, with each tag's name."""
    tags = [tag for tag in _TAG_KINDS if not tag.startswith("-")]
    by_id = {tag_id: (_TAG_KINDS[tag], tag) for tag, tag_id in _tag_ids(tags).items()}
    body = LexborHTMLParser("<body><!---->").body
    comment = body.first_child if body is not None else None
    if comment is not None and comment.tag == "-comment":
        by_id[comment.tag_id] = (_K_IGNORE, "-comment")
    return by_id


def _fixed_tag_ids(tags: Iterable[str]) -> frozenset[int]:
    ids = _tag_ids(tags)
    missing = set(tags) - set(ids)
    if missing:
        raise RuntimeError(f"the HTML parser does not number {sorted(missing)} the same always")
    return frozenset(ids.values())


_KINDS_BY_ID = _kinds_by_id()
(_A_TAG_ID,) = _fixed_tag_ids(["a"])
_STRIPPED_TAG_IDS = _fixed_tag_ids(_STRIPPED_TAGS)


_IS_BLOCK, _HOLDS_BLOCK = 1, 2
"""Bits of an element's ``content`` in the walk: it is block-level; a block-level element is
inside it (a box holding one is not a block itself)."""


def walk_tree(body: LexborNode) -> _Walk:
    """Walk the subtree of ``body`` once, iteratively; blocks come out in document order."""
    out = _Walk()
    parents = out.parents
    ends = out.ends
    content: list[int] = []
    box_nodes: dict[int, tuple[LexborNode, str]] = {}
    by_id = _KINDS_BY_ID
    by_name = _TAG_KINDS
    # Names looked up once, not per element.
    add_parent, add_end, add_content = parents.append, ends.append, content.append
    add_negative, add_block = out.negatives.append, out.blocks.append
    passed_over = _K_SKIP | _K_IGNORE | _K_OPAQUE
    skip, leaf, box, block_box = _K_SKIP, _K_LEAF, _K_BOX, _K_BLOCK_BOX
    negative_tag, hinted = _K_NEGATIVE, _K_HINTED
    # One entry per element being walked into: its children still to visit (elements
    # and comments, in document order), its number, its nearest negative ancestor-or-self.
    stack: list[tuple[Iterator[LexborNode], int, int]] = [(iter((body,)), -1, -1)]
    push = stack.append
    while stack:
        children, parent, negative_above = stack[-1]
        for node in children:
            known = by_id.get(node.tag_id)
            if known is None:
                name = node.tag
                if name is None:  # no element, no comment
                    continue
                kind, tag = by_name.get(name, 0), name
            else:
                kind, tag = known
            if kind & passed_over:
                # Never-text subtrees leave the tree: a box's text, taken whole later,
                # must not hold them. Inline text is part of its box's text (blocks inside
                # a link are rare), so inline elements are not numbered.
                if kind & skip:
                    node.decompose()
                continue
            number = len(parents)
            negative = number if kind & negative_tag else negative_above
            if kind & hinted:
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
            add_parent(parent)
            add_end(number)
            add_negative(negative)
            if kind & leaf:
                add_content(_IS_BLOCK)
                if parent >= 0:
                    content[parent] |= _HOLDS_BLOCK
                text = node.text()
                if text and not text.isspace():
                    add_block(_block((text, tag, number, parent, _link_chars(node), negative)))
                continue
            add_content(_IS_BLOCK if kind & block_box else 0)
            if kind & box:
                box_nodes[number] = (node, tag)
            push((node.iter(), number, negative))
            break
        else:
            # All of element ``parent``'s subtree is numbered.
            stack.pop()
            if parent >= 0:
                ends[parent] = len(parents) - 1
                above = parents[parent]
                if above >= 0 and content[parent]:
                    content[above] |= _HOLDS_BLOCK
    # Boxes with no block inside are blocks themselves (text in <div>s and <td>s, list items).
    if box_nodes:
        _add_box_blocks(out, box_nodes, content)
    return out


def _add_box_blocks(
    out: _Walk, box_nodes: dict[int, tuple[LexborNode, str]], content: list[int]
) -> None:
    extra: list[Block] = []
    parents = out.parents
    negatives = out.negatives
    for number, (node, tag) in box_nodes.items():
        if content[number] & _HOLDS_BLOCK:
            # A box holding blocks may still hold loose text of its own between them.
            if tag in ("div", "td", "section", "article", "blockquote", "li"):
                own = node.text(deep=False)
                if len(own) > MIN_BLOCK_CHARS and not own.isspace():
                    block = (own, "div", number, parents[number], 0, negatives[number])
                    extra.append(_block(block))
            continue
        parent = parents[number]
        if tag in _INLINE_BOXES and parent >= 0 and not (content[parent] & _HOLDS_BLOCK):
            continue
        text = node.text()
        if text and not text.isspace():
            links = _link_chars(node)
            extra.append(_block((text, tag, number, parent, links, negatives[number])))
    if extra:
        out.blocks.extend(extra)
        out.blocks.sort(key=itemgetter(2))  # Block.element


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


CLIMB_RATIO = 1.0
"""A container grows to its parent when what the parent adds is this much more text than links."""
CLIMB_SLACK = 150
"""Link characters a parent may add regardless (a share row, a tag list)."""


class _SubtreeSums:
    """Per-element values summed over each element's subtree.

    Elements are numbered in document order, so a subtree is a run of numbers (from the
    element to its ``ends`` entry) and its sum a difference of two running totals.
    """

    __slots__ = ("ends", "totals")

    def __init__(self, values: list[int], ends: list[int]) -> None:
        self.totals = [0, *accumulate(values)]
        self.ends = ends

    def __getitem__(self, element: int) -> int:
        return self.totals[self.ends[element] + 1] - self.totals[element]


def _text_sums(walk: _Walk, blocks: Sequence[tuple[Block, str]]) -> _SubtreeSums:
    """For each element, the characters of running text (not links, not headings) inside it."""
    own = [0] * len(walk.parents)
    for block, text in blocks:
        n = len(text)
        if n >= MIN_BLOCK_CHARS and block.links * 2 <= n and block.tag not in _HEADINGS:
            own[block.element] += n - block.links
    return _SubtreeSums(own, walk.ends)


class _Choice:
    """Which blocks of the page belong to the article grown from the best-scoring ``seed``."""

    def __init__(self, walk: _Walk, seed: int, text: _SubtreeSums) -> None:
        self.seed = seed
        self.text = text
        self.ends = walk.ends

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
    good_in = _SubtreeSums(good, choice.ends)
    bad_in = _SubtreeSums(bad, choice.ends)
    best = current = choice.seed
    up = parents[current]
    while up >= 0:
        added_good = good_in[up] - good_in[current]
        added_bad = bad_in[up] - bad_in[current]
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
    walk: _Walk, blocks: Sequence[tuple[Block, str]], text: _SubtreeSums, probe: str
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
    # Found by their tags' numbers: a CSS search for a dozen tags costs more. Removed last
    # first, so that an element inside another removed one is removed before it.
    stripped = [node for node in body.traverse() if node.tag_id in _STRIPPED_TAG_IDS]
    for node in reversed(stripped):
        node.decompose()
    walk = walk_tree(body)
    blocks: list[tuple[Block, str]] = []
    for block in walk.blocks:
        line = block.text
        # Most blocks are one line with single spaces already (every other white space
        # character is unprintable): checked in C rather than split and joined again.
        if not (line.isprintable() and "  " not in line and line[:1] != " " and line[-1:] != " "):
            line = " ".join(line.split())
        if line:
            blocks.append((block, line))
    if not blocks:
        return FastBody([], "no text blocks", "")
    scores = _score(walk, blocks)
    if not scores:
        return FastBody([], "no block long enough to score", "", "", [t for _, t in blocks])
    seed = max(scores, key=scores.__getitem__)
    text = _text_sums(walk, blocks)
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
