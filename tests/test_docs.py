"""The documentation cannot drift from the code.

* ``docs/cli.md`` is ``newsingest COMMAND --help`` for every command, at a fixed width;
* the config tables in ``docs/api.md`` are generated from the attrs fields;
* every ```python block in README.md and docs/*.md runs, in a fresh namespace, in a
  temporary folder holding a copy of ``examples/articles``;
* every ``newsingest ...`` line of a ```sh / ```console block runs through
  :func:`newsingest.cli.main` there and exits 0.

A block that cannot run (data outside the repository, a Dask cluster, a placeholder path)
is preceded by ``<!-- no-test: reason -->``; ``NO_TEST`` counts them per file, so the
number cannot grow silently.

Regenerate the generated parts with::

    python -m tests.test_docs --write
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import io
import os
import re
import shlex
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

import newsingest
from newsingest import config as config_module
from newsingest import records
from newsingest.cli import build_parser, main

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
CLI_MD = ROOT / "docs" / "cli.md"
API_MD = ROOT / "docs" / "api.md"
COLUMNS = "100"
REGENERATE = "python -m tests.test_docs --write"

NO_TEST = {
    "docs/scaling.md": 4,  # Dask clusters: LocalCluster, SLURM, Kubernetes, a remote client
}
"""Blocks marked ``<!-- no-test: ... -->``, per file. Raise a count only with a reason."""

SHELL_LANGS = {"sh", "shell", "bash", "console"}
_FENCE = re.compile(r"^(\s*)```(\S*)\s*$")
_NO_TEST = re.compile(r"^\s*<!--\s*no-test:\s*(.+?)\s*-->\s*$")


# ------------------------------------------------------------------ code blocks


@attrs.frozen
class Block:
    file: str  # relative to the repository root
    line: int  # 1-based line of the opening fence
    lang: str
    code: str
    no_test: str | None  # the reason given, when marked


def iter_blocks(path: Path, rel: str | None = None) -> Iterator[Block]:
    """Fenced code blocks with their language and no-test mark (indentation removed)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    rel = rel or path.relative_to(ROOT).as_posix()
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, lang, start = len(m.group(1)), m.group(2).lower(), i
        body: list[str] = []
        i += 1
        while i < len(lines) and lines[i].strip() != "```":
            body.append(lines[i][indent:] if lines[i][:indent].strip() == "" else lines[i])
            i += 1
        i += 1
        prev = start - 1
        while prev >= 0 and not lines[prev].strip():
            prev -= 1
        mark = _NO_TEST.match(lines[prev]) if prev >= 0 else None
        yield Block(
            file=rel,
            line=start + 1,
            lang=lang,
            code="\n".join(body) + "\n",
            no_test=mark.group(1) if mark else None,
        )


def all_blocks() -> list[Block]:
    return [b for path in DOCS for b in iter_blocks(path)]


def python_blocks() -> list[Block]:
    return [b for b in all_blocks() if b.lang == "python" and b.no_test is None]


def shell_commands(block: Block) -> list[str]:
    """The ``newsingest`` command lines of a shell block (``$ `` prompts for console)."""
    out = []
    for raw in block.code.splitlines():
        line = raw.strip()
        if block.lang == "console":
            if not line.startswith("$ "):
                continue  # output shown in the docs
            line = line[2:].strip()
        if line.startswith("newsingest ") or line == "newsingest":
            out.append(line)
    return out


def files_with_shell_commands() -> list[str]:
    files = {
        b.file
        for b in all_blocks()
        if b.lang in SHELL_LANGS and b.no_test is None and shell_commands(b)
    }
    return sorted(files)


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder holding a copy of ``examples/articles``, as the working directory."""
    shutil.copytree(ROOT / "examples" / "articles", tmp_path / "examples" / "articles")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_docs_have_python_examples() -> None:
    files = {b.file for b in python_blocks()}
    assert {"README.md", "docs/api.md", "docs/getting-started.md"} <= files


@pytest.mark.parametrize("block", python_blocks(), ids=lambda b: f"{b.file}:{b.line}")
def test_python_example_runs(block: Block, workdir: Path) -> None:
    code = compile(block.code, f"{block.file}:{block.line}", "exec")
    namespace: dict[str, Any] = {"__name__": "__doc_example__"}
    exec(code, namespace)


@pytest.mark.parametrize("file", files_with_shell_commands())
def test_shell_examples_run(file: str, workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The ``newsingest`` lines of one file, in order, in one folder (later ones may use
    what earlier ones wrote, e.g. an index)."""
    for block in iter_blocks(ROOT / file):
        if block.lang not in SHELL_LANGS or block.no_test is not None:
            continue
        for line in shell_commands(block):
            argv = shlex.split(line, comments=True)
            bad = [a for a in argv if a in {"|", ">", ">>", "<", "&&", ";", "||"}]
            assert not bad, (
                f"{file}:{block.line}: {line!r} needs a shell; "
                "rewrite it or mark the block <!-- no-test: reason -->"
            )
            code = main(argv[1:])
            err = capsys.readouterr().err
            assert code == 0, f"{file}:{block.line}: {line!r} exited {code}\n{err}"


def test_no_test_marks_are_counted() -> None:
    marked: dict[str, int] = {}
    for b in all_blocks():
        if b.no_test is not None:
            marked[b.file] = marked.get(b.file, 0) + 1
    assert marked == NO_TEST, (
        "blocks marked <!-- no-test --> changed; make the new block run, "
        "or update NO_TEST in tests/test_docs.py with a reason"
    )


def test_block_parser_reads_marks_and_languages(tmp_path: Path) -> None:
    doc = tmp_path / "x.md"
    doc.write_text(
        "text\n\n<!-- no-test: needs a cluster -->\n\n```python\nx = 1\n```\n\n"
        "- item\n\n  ```console\n  $ newsingest dedup a\n  15 documents\n  ```\n",
        encoding="utf-8",
    )
    got = list(iter_blocks(doc, "x.md"))
    assert [(b.lang, b.no_test, b.code) for b in got] == [
        ("python", "needs a cluster", "x = 1\n"),
        ("console", None, "$ newsingest dedup a\n15 documents\n"),
    ]
    assert shell_commands(got[1]) == ["newsingest dedup a"]


# ------------------------------------------------------------------ CLI reference


def _subcommands(parser: argparse.ArgumentParser) -> Iterator[tuple[str, ...]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield (name,)
                for rest in _subcommands(sub):
                    yield (name, *rest)


def command_paths() -> list[tuple[str, ...]]:
    """Every command and subcommand, as argv prefixes, in the parser's order."""
    return [(), *_subcommands(build_parser())]


def help_text(command: tuple[str, ...]) -> str:
    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = COLUMNS
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            code = main([*command, "--help"])
    finally:
        if old is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = old
    assert code == 0
    return out.getvalue().rstrip() + "\n"


def render_cli_reference() -> str:
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    parts = [
        "# Command-line reference\n",
        f"<!-- generated by `{REGENERATE}` with Python {version}; do not edit -->\n",
        "The output of `newsingest COMMAND --help` for every command, at 100 columns. "
        "Generated from the parser and checked by `tests/test_docs.py`; "
        f"regenerate with `{REGENERATE}`. "
        "[usage.md](usage.md) explains the commands, exit codes and outputs.\n",
    ]
    for command in command_paths():
        name = " ".join(("newsingest", *command))
        parts.append(f"## `{name}`\n\n```text\n{help_text(command)}```\n")
    return "\n".join(parts)


def _normalise_help(text: str) -> str:
    """What stays the same across Python versions: argparse 3.13 prints ``-o, --output FILE``
    where 3.11 prints ``-o FILE, --output FILE``, and wraps usage lines differently."""
    text = re.sub(r"<!-- generated .*? -->", "", text)
    text = re.sub(r"(\s-\w) [A-Z][A-Z_]*, (--[\w-]+ [A-Z])", r"\1, \2", text)
    return " ".join(text.split())


def _recorded_python(text: str) -> str | None:
    m = re.search(r"with Python (\d+\.\d+);", text)
    return m.group(1) if m else None


def test_help_normalisation_ignores_other_python_layouts() -> None:
    old = "usage: x [-h]\n  -o FILE, --output FILE\n      where (default: stdout)\n"
    new = "usage: x [-h]\n  -o, --output FILE  where (default: stdout)\n"
    assert _normalise_help(old) == _normalise_help(new)
    assert _normalise_help(old) != _normalise_help(old.replace("stdout", "stderr"))


def test_cli_reference_is_current() -> None:
    want = render_cli_reference()
    have = CLI_MD.read_text(encoding="utf-8") if CLI_MD.exists() else ""
    same_python = _recorded_python(have) == _recorded_python(want)
    if same_python and have == want:
        return
    if not same_python and _normalise_help(have) == _normalise_help(want):
        return  # only the other Python's argparse layout differs
    diff = "".join(
        difflib.unified_diff(
            have.splitlines(keepends=True),
            want.splitlines(keepends=True),
            "docs/cli.md",
            "newsingest --help",
        )
    )
    pytest.fail(f"docs/cli.md is stale; run `{REGENERATE}`\n{diff}")


def test_cli_reference_covers_every_command() -> None:
    text = CLI_MD.read_text(encoding="utf-8")
    names = [" ".join(("newsingest", *c)) for c in command_paths()]
    assert {"newsingest dedup", "newsingest index stats", "newsingest explain"} <= set(names)
    for name in names:
        assert f"## `{name}`" in text


def test_usage_mentions_every_command() -> None:
    usage = (ROOT / "docs" / "usage.md").read_text(encoding="utf-8")
    for command in command_paths():
        if len(command) == 1:
            assert f"newsingest {command[0]}" in usage


# ------------------------------------------------------------------ API reference

CONFIGS = (
    "DedupConfig",
    "IngestConfig",
    "ReadConfig",
    "DecodeConfig",
    "ExtractConfig",
    "RepairConfig",
    "BoilerplateConfig",
    "FingerprintConfig",
)

FIELD_DOCS = {
    "DedupConfig.threshold": "estimated Jaccard similarity at which two articles are copies",
    "DedupConfig.containment": "share of the shorter text's shingles found in the longer "
    "that makes it a copy (truncated copies)",
    "DedupConfig.min_shingles": "a containment match needs the shorter text to have at least "
    "this many shingles; below it a pair is a copy only on near-identical Jaccard (≥ 0.9)",
    "DedupConfig.min_size_ratio": "... and to be at least this share of the longer's size",
    "DedupConfig.bands": "LSH bands; `None` chooses them for 99% recall at the lowest "
    "Jaccard an accepted pair can have",
    "DedupConfig.jobs": "worker processes for the per-document stages; 0 = one per core "
    "(the CLI's default is 0)",
    "DedupConfig.ingest": "read, decode, extract and repair settings",
    "DedupConfig.boilerplate": "corpus-level boilerplate detection",
    "DedupConfig.fingerprint": "shingles and MinHash; stored with every index",
    "IngestConfig.read": "what the reader accepts",
    "IngestConfig.decode": "decoder settings",
    "IngestConfig.extract": "field names and layout rules",
    "IngestConfig.repair": "which ftfy repairs run",
    "ReadConfig.include": "globs on the path relative to the folder given; only matching "
    "files are read",
    "ReadConfig.exclude": "globs of files to skip",
    "ReadConfig.max_document_bytes": "a larger document (file or JSON line) is rejected",
    "ReadConfig.max_stream_bytes": "a compressed stream inflating past this is a "
    "decompression bomb",
    "ReadConfig.max_ratio": "... as is one inflating past this many times its compressed size",
    "ReadConfig.follow_symlinks": "follow symbolic links (never out of the folder given)",
    "ReadConfig.prefix_ids": "start ids with the folder argument as typed; `None`: only when "
    "several are given (an `Index` defaults to yes)",
    "DecodeConfig.min_confidence": "below this chardet confidence, cp1252 is tried before "
    "the lossy fallback",
    "DecodeConfig.max_stray_fraction": "mostly-UTF-8 text may have this share of stray bytes "
    "(decoded as cp1252)",
    "ExtractConfig.jsonl_id_field": "JSON field holding the record's own id, kept as "
    "`Article.source_id` (document ids stay `FILE#N`)",
    "ExtractConfig.jsonl_title_field": "JSON field holding the title",
    "ExtractConfig.jsonl_text_field": "JSON field holding the body",
    "ExtractConfig.jsonl_date_field": "JSON field holding the date",
    "ExtractConfig.title_from_first_line": "without a title field, the text's first line "
    "is the title",
    "ExtractConfig.max_promo_lines": "how many lines above the title may be dropped as promo",
    "RepairConfig.fix_encoding": "undo mojibake",
    "RepairConfig.unescape_html": "decode HTML entities",
    "RepairConfig.fix_line_breaks": "CRLF, CR and Unicode line separators become `\\n`",
    "RepairConfig.remove_control_chars": "drop control characters",
    "RepairConfig.normalization": "Unicode normalization form, or `None`",
    "RepairConfig.fast_path": "skip ftfy for text that provably needs nothing "
    "(same output, faster)",
    "BoilerplateConfig.enabled": "strip boilerplate before fingerprinting "
    "(`--keep-boilerplate` turns it off)",
    "BoilerplateConfig.min_docs": "a paragraph must recur in this many documents to be a candidate",
    "BoilerplateConfig.max_line_words": "longer paragraphs are never candidates",
    "FingerprintConfig.num_perm": "MinHash permutations (signature length)",
    "FingerprintConfig.seed": "MinHash seed",
    "FingerprintConfig.shingle_size": "words per shingle",
    "FingerprintConfig.cjk_shingle_size": "characters per shingle for Chinese, Japanese, "
    "Thai and other scripts written without spaces",
}

_MiB = 1024 * 1024
_BEGIN = "<!-- BEGIN config tables: generated by `python -m tests.test_docs --write` -->"
_END = "<!-- END config tables -->"


def _default(field: attrs.Attribute[Any]) -> str:
    value = field.default
    if isinstance(value, attrs.Factory):  # type: ignore[arg-type]
        value = value.factory()  # type: ignore[attr-defined]
    if attrs.has(type(value)):
        return f"`{type(value).__name__}()`"
    if type(value) is int and value >= _MiB and value % _MiB == 0:
        return f"`{value}` ({value // _MiB:,} MiB)"
    return f"`{value!r}`"


def render_config_tables() -> str:
    parts = [_BEGIN, ""]
    for name in CONFIGS:
        cls = getattr(config_module, name)
        parts += [f"#### `{name}`", "", "| field | default | meaning |", "|---|---|---|"]
        for field in attrs.fields(cls):
            meaning = FIELD_DOCS.get(f"{name}.{field.name}", "**undocumented**")
            parts.append(f"| `{field.name}` | {_default(field)} | {meaning} |")
        parts.append("")
    parts.append(_END)
    return "\n".join(parts)


def _replace_config_tables(text: str) -> str:
    start, end = text.index(_BEGIN), text.index(_END) + len(_END)
    return text[:start] + render_config_tables() + text[end:]


def test_every_config_field_is_described() -> None:
    fields = {
        f"{name}.{f.name}" for name in CONFIGS for f in attrs.fields(getattr(config_module, name))
    }
    assert fields == set(FIELD_DOCS), "describe new config fields in FIELD_DOCS"
    assert set(CONFIGS) == set(config_module.__all__)


def test_config_tables_are_current() -> None:
    have = API_MD.read_text(encoding="utf-8")
    want = _replace_config_tables(have)
    if have != want:
        diff = "".join(
            difflib.unified_diff(
                have.splitlines(keepends=True), want.splitlines(keepends=True), "docs/api.md", "new"
            )
        )
        pytest.fail(f"the config tables in docs/api.md are stale; run `{REGENERATE}`\n{diff}")


def test_api_reference_names_every_public_name_and_record_field() -> None:
    text = API_MD.read_text(encoding="utf-8")
    missing = [n for n in newsingest.__all__ if f"`{n}" not in text and n != "__version__"]
    assert not missing, f"docs/api.md does not mention {missing}"
    for name in records.__all__:
        cls = getattr(records, name)
        if not attrs.has(cls):
            continue
        absent = [f.name for f in attrs.fields(cls) if f"`{f.name}`" not in text]
        assert not absent, f"docs/api.md does not describe {name} fields {absent}"


# ------------------------------------------------------------------ regeneration


def write_generated() -> list[Path]:
    """Rewrite the generated parts of the docs; returns the files that changed."""
    changed = []
    cli = render_cli_reference()
    if not CLI_MD.exists() or CLI_MD.read_text(encoding="utf-8") != cli:
        CLI_MD.write_text(cli, encoding="utf-8")
        changed.append(CLI_MD)
    api = API_MD.read_text(encoding="utf-8")
    new_api = _replace_config_tables(api)
    if new_api != api:
        API_MD.write_text(new_api, encoding="utf-8")
        changed.append(API_MD)
    return changed


if __name__ == "__main__":
    cli_args = argparse.ArgumentParser(description="Check or regenerate the generated docs.")
    cli_args.add_argument("--write", action="store_true", help="rewrite docs/cli.md and tables")
    if cli_args.parse_args().write:
        for path in write_generated():
            print(f"wrote {path.relative_to(ROOT)}")
    else:
        sys.exit(pytest.main([__file__, "-q"]))
