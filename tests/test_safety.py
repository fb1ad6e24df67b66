"""Properties every command-line run keeps, whatever the names, layouts, arguments and content.

For each generated run, in-process through ``newsingest.cli.main``:

- the inputs are unchanged (bytes, mtime, inode) and no file appears beside them;
- the report has one row per input document (file, or JSON line), each with its own id;
- nothing is written but the named outputs;
- the exit code and message are the documented ones (docs/usage.md: "Exit codes", "Safety").

Each example gets its own scratch folder: ``work/`` (the working folder, holding
inputs and ``out/`` for the outputs) and inputs beside it reached as ``../NAME``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

import attrs
import pytest
from hypothesis import HealthCheck, assume, example, given, note, settings
from hypothesis import strategies as st

from tests.factories import write
from tests.safety import examples
from tests.safety.layouts import (
    STALE,
    Layout,
    Root,
    file_names,
    jsonl_layouts,
    layouts,
)
from tests.safety.runs import (
    EXIT_ERROR,
    EXIT_OK,
    EXIT_USAGE,
    REFUSED,
    Outcome,
    assert_only_outputs_changed,
    assert_terminal_safe,
    kept_units,
    output_paths,
    overlapped_inputs,
    report_rows,
    run_cli,
    scratch_root,
    snapshot,
)

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def assert_no_formula(rows: list[dict[str, str]]) -> None:
    """No CSV cell a spreadsheet would run: such text starts with ``'`` (OWASP)."""
    cells = [v for row in rows for v in row.values() if v and v.startswith(FORMULA_START)]
    assert not cells, f"CSV cells a spreadsheet runs as formulas: {cells[:3]}"


RUNS = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("safety")


@attrs.frozen(kw_only=True)
class Options:
    """The outputs and switches of one run; paths are relative to the working folder."""

    command: str = "dedup"
    report: str | None = None  # None: stdout
    fmt: str = "jsonl"
    kept: str | None = None
    kept_jsonl: str | None = None
    html: str | None = None
    output: str | None = None  # ingest -o; None: stdout
    jobs: int = 1
    verbose: bool = False
    overwrite: bool = False
    stale_kept: bool = False  # the --kept folder holds a file from an earlier run

    def argv(self, args: tuple[str, ...], extra: tuple[str, ...] = ()) -> list[str]:
        opts = ["--jobs", str(self.jobs), *extra]
        if self.command == "ingest":
            opts += ["-o", self.output] if self.output is not None else []
        else:
            for flag, value in (
                ("--report", self.report),
                ("--kept", self.kept),
                ("--kept-jsonl", self.kept_jsonl),
                ("--html", self.html),
            ):
                opts += [flag, value] if value is not None else []
            opts += ["--format", self.fmt] + (["--overwrite"] if self.overwrite else [])
        # An argument that starts with "-" is a path only after "--".
        separator = ["--"] if any(a.startswith("-") for a in args) else []
        return [*(["-v"] if self.verbose else []), self.command, *opts, *separator, *args]

    def named_outputs(self) -> list[str]:
        names = (self.report, self.kept, self.kept_jsonl, self.html, self.output)
        return [n for n in names if n is not None and n != "-"]


LONG_NAME = "r" * 246 + ".jsonl"  # 252 bytes: a temporary name made from it overflows NAME_MAX
_REPORT_NAMES = ("out/report.jsonl", "out/r e#p=ort.csv", f"out/{LONG_NAME}")


@st.composite
def dedup_options(draw: st.DrawFn) -> Options:
    kept_kind = draw(st.sampled_from(["none", "kept", "kept-jsonl"]))
    kept = "out/kept" if kept_kind == "kept" else None
    stale = kept is not None and draw(st.booleans())
    return Options(
        report=draw(st.sampled_from([None, *_REPORT_NAMES])),
        fmt=draw(st.sampled_from(["jsonl", "csv"])),
        kept=kept,
        kept_jsonl="out/kept.jsonl" if kept_kind == "kept-jsonl" else None,
        html=draw(st.sampled_from([None, "out/review.html"])),
        jobs=draw(st.sampled_from([1, 1, 2])),
        verbose=draw(st.booleans()),
        overwrite=kept is not None and draw(st.booleans()),
        stale_kept=stale,
    )


@st.composite
def ingest_options(draw: st.DrawFn) -> Options:
    return Options(
        command="ingest",
        output=draw(st.sampled_from([None, "out/articles.jsonl", f"out/{LONG_NAME}"])),
        jobs=draw(st.sampled_from([1, 1, 2])),
        verbose=draw(st.booleans()),
    )


# ------------------------------------------------------------------ one run, every promise


def _start(root: Path, layout: Layout, options: Options) -> Path:
    work = root / "work"
    layout.build(work)
    (work / "out").mkdir(parents=True, exist_ok=True)
    if options.stale_kept and options.kept is not None:
        write(work / options.kept / "stale.txt", STALE)
    return work


def _rows(outcome: Outcome, work: Path, options: Options) -> list[dict[str, str]]:
    if options.command == "ingest":
        text = outcome.out if options.output is None else _read(work / options.output)
        return report_rows(text, "jsonl")
    text = outcome.out if options.report is None else _read(work / options.report)
    return report_rows(text, options.fmt)


def _read(path: Path) -> str:
    return path.read_bytes().decode("utf-8")


def check_run(root: Path, layout: Layout, options: Options) -> None:
    """Run once and check the four promises (see the module docstring)."""
    work = _start(root, layout, options)
    before = snapshot(root)
    argv = options.argv(layout.args)
    note(f"argv: {argv!r}")
    outcome = run_cli(argv, work)
    note(f"exit {outcome.code}; stderr: {outcome.err!r}")
    after = snapshot(root)
    assert_terminal_safe(outcome.err)
    expected = layout.documents()
    stale_refused = options.stale_kept and not options.overwrite
    if expected == 0 or stale_refused:
        assert outcome.code in REFUSED, "a run that cannot complete exits 1 (or 2)"
        if stale_refused:
            assert "--overwrite" in outcome.err, "a non-empty --kept folder needs --overwrite"
        else:
            assert "no documents" in outcome.err
        assert_only_outputs_changed(before, after, [])
        return
    assert outcome.code == EXIT_OK, outcome.err
    allowed = output_paths(root, work, options.named_outputs())
    assert_only_outputs_changed(before, after, allowed)
    rows = _rows(outcome, work, options)
    ids = [row["id"] for row in rows]
    if options.command == "dedup" and options.fmt == "csv":
        assert_no_formula(rows)
    assert len(ids) == expected, f"{len(ids)} rows for {expected} input documents"
    assert len(set(ids)) == len(ids), "every row has its own id"
    kept_rows = sum(1 for row in rows if row.get("status") == "kept")
    if options.kept is not None:
        units = kept_units(work / options.kept)
        assert len(units) == kept_rows, f"--kept holds {len(units)} documents, {kept_rows} kept"
        whole, lines = layout.whole_files(), layout.json_lines()
        assert all(u in whole or u in lines for u in units), "--kept holds inputs, byte for byte"
    if options.kept_jsonl is not None:
        articles = report_rows(_read(work / options.kept_jsonl), "jsonl")
        assert len(articles) == kept_rows
    if options.html is not None:
        assert (work / options.html).is_file()


@RUNS
@given(layout=layouts(), options=dedup_options())
@example(layout=examples.SAME_BASE_NAME, options=Options(kept="out/kept"))
@example(layout=examples.IDS_THAT_COLLIDE, options=Options(kept="out/kept", fmt="csv"))
@example(layout=examples.CUT_GZIP, options=Options(kept_jsonl="out/kept.jsonl"))
@example(layout=examples.LONE_SURROGATES, options=Options(kept_jsonl="out/kept.jsonl"))
@example(layout=examples.NEAR_NAME_MAX, options=Options(kept="out/kept", report=f"out/{LONG_NAME}"))
@example(
    layout=examples.TERMINAL_AND_FORMULA,
    options=Options(report="out/r.csv", fmt="csv", verbose=True),
)
@example(layout=examples.SAME_BASE_NAME, options=Options(kept="out/kept", stale_kept=True))
@example(
    layout=examples.SAME_BASE_NAME,
    options=Options(kept="out/kept", stale_kept=True, overwrite=True),
)
def test_a_dedup_run_keeps_every_promise(scratch: Path, layout: Layout, options: Options) -> None:
    with scratch_root(scratch) as root:
        check_run(root, layout, options)


@RUNS
@given(layout=layouts(), options=ingest_options())
@example(layout=examples.LONE_SURROGATES, options=Options(command="ingest", output="out/a.jsonl"))
@example(layout=examples.CUT_GZIP, options=Options(command="ingest"))
@example(layout=examples.REPEATED, options=Options(command="ingest"))
def test_an_ingest_run_keeps_every_promise(scratch: Path, layout: Layout, options: Options) -> None:
    with scratch_root(scratch) as root:
        check_run(root, layout, options)


@RUNS
@given(
    layout=jsonl_layouts(),
    options=st.one_of(dedup_options(), ingest_options()).filter(lambda o: not o.stale_kept),
)
def test_every_json_line_gets_a_row(scratch: Path, layout: Layout, options: Options) -> None:
    """Valid and invalid lines, blank lines, lone surrogates, another ``id`` field, a cut gzip."""
    with scratch_root(scratch) as root:
        check_run(root, layout, options)


# ------------------------------------------------------------------ refusals


OUTPUT_FLAGS = ("--kept", "--report", "--html", "--kept-jsonl", "-o")


def _targets(root: Root) -> Iterator[str]:
    """Output paths that are, contain, or lie inside ``root`` (or name one of its files).

    Only for an argument a message can show as typed: one with a control
    character or a raw byte is shown escaped.
    """
    if not root.arg.isprintable():
        return
    yield root.arg
    yield str(PurePosixPath(root.arg).parent)
    if root.folder:
        yield f"{root.arg}/new-output"
        yield from (f"{root.arg}/{os.fsdecode(f.rel)}" for f in root.files)


@st.composite
def overlapping_runs(draw: st.DrawFn) -> tuple[Layout, list[str], str]:
    """A layout, the argv of a run with an output over an input, and what it must name."""
    layout = draw(layouts(max_roots=2))
    targets = [t for r in layout.roots for t in _targets(r)]
    assume(targets)
    target = draw(st.sampled_from(targets))
    flag = draw(st.sampled_from(OUTPUT_FLAGS))
    command = "ingest" if flag == "-o" else "dedup"
    opts = [flag, target]
    if command == "dedup" and draw(st.booleans()):  # another output, which must not be written
        opts += ["--html", "out/review.html"] if flag != "--html" else ["--report", "out/r.jsonl"]
    jobs = ["--jobs", str(draw(st.sampled_from([1, 2])))]
    separator = ["--"] if any(a.startswith("-") for a in layout.args) else []
    return layout, [command, *jobs, *opts, *separator, *layout.args], target


@RUNS
@given(run=overlapping_runs())
def test_an_output_over_an_input_is_refused(
    scratch: Path, run: tuple[Layout, list[str], str]
) -> None:
    """--kept, --report, --html, --kept-jsonl or ingest -o that is, contains or lies inside an
    input (or names an input file) is refused before anything is read or written."""
    layout, argv, target = run
    with scratch_root(scratch) as root:
        work = _start(root, layout, Options())
        hits = overlapped_inputs(target, layout.args, work)
        assert hits, "the strategy makes overlaps only"
        before = snapshot(root)
        note(f"argv: {argv!r}")
        outcome = run_cli(argv, work)
        note(f"exit {outcome.code}; stderr: {outcome.err!r}")
        assert outcome.code in REFUSED
        names = {n for h in hits for n in (h, str(work / h), os.path.realpath(work / h))}
        if argv[argv.index(target) - 1] != "--kept" and (work / target).is_dir():
            names.add(target)  # a file output on a folder: refused as such, whatever it holds
        assert any(n in outcome.err for n in names), "the message names the input"
        assert_terminal_safe(outcome.err)
        assert_only_outputs_changed(before, snapshot(root), [])


@RUNS
@given(
    layout=layouts(max_roots=2),
    flags=st.sampled_from(
        [("--report", "--html"), ("--report", "--kept-jsonl"), ("--html", "--kept-jsonl")]
    ),
)
def test_two_outputs_on_one_path_are_refused(
    scratch: Path, layout: Layout, flags: tuple[str, str]
) -> None:
    with scratch_root(scratch) as root:
        work = _start(root, layout, Options())
        before = snapshot(root)
        same = "out/same.html"
        opts = [flags[0], same, flags[1], same]
        separator = ["--"] if any(a.startswith("-") for a in layout.args) else []
        outcome = run_cli(["dedup", "--jobs", "1", *opts, *separator, *layout.args], work)
        note(f"exit {outcome.code}; stderr: {outcome.err!r}")
        assert outcome.code in REFUSED
        assert same in outcome.err
        assert_only_outputs_changed(before, snapshot(root), [])


BAD_OPTIONS = (
    # (options, commands they apply to, whether the subcommand's usage is the one to show)
    (("--threshold", "1.5"), ("dedup",), True),
    (("--containment", "0"), ("dedup",), True),
    (("--format", "xml"), ("dedup",), True),
    (("--kept", "out/k", "--kept-jsonl", "out/k.jsonl"), ("dedup",), True),
    (("--max-document-mb", "nan"), ("dedup", "ingest"), True),
    (("--max-document-mb", "inf"), ("dedup", "ingest"), True),
    (("--max-document-mb", "-1"), ("dedup", "ingest"), True),
    (("--jobs", "two"), ("dedup", "ingest"), True),
    (("--no-such-option",), ("dedup", "ingest"), False),
)


@RUNS
@given(
    layout=layouts(max_roots=2),
    options=st.one_of(dedup_options(), ingest_options()).filter(lambda o: not o.stale_kept),
    bad=st.sampled_from(BAD_OPTIONS),
)
def test_a_wrong_command_line_exits_2_and_writes_nothing(
    scratch: Path,
    layout: Layout,
    options: Options,
    bad: tuple[tuple[str, ...], tuple[str, ...], bool],
) -> None:
    extra, commands, subcommand_usage = bad
    # Only the bad option is wrong: the rest of the command line is one that runs.
    options = attrs.evolve(options, overwrite=False)
    if options.command not in commands:
        options = attrs.evolve(options, command="dedup", output=None)
    if "--kept" in extra:
        options = attrs.evolve(options, kept=None, kept_jsonl=None)
    with scratch_root(scratch) as root:
        work = _start(root, layout, options)
        before = snapshot(root)
        argv = options.argv(layout.args, extra)
        note(f"argv: {argv!r}")
        outcome = run_cli(argv, work)
        note(f"exit {outcome.code}; stderr: {outcome.err!r}")
        assert outcome.code == EXIT_USAGE
        assert outcome.out == ""
        usage = f"usage: newsingest {options.command}" if subcommand_usage else "usage: newsingest"
        assert usage in outcome.err, "the usage of the command that was wrong"
        assert_terminal_safe(outcome.err)
        assert_only_outputs_changed(before, snapshot(root), [])


@RUNS
@given(
    layout=layouts(max_roots=2),
    options=st.one_of(dedup_options(), ingest_options()).filter(lambda o: not o.stale_kept),
    missing=st.sampled_from(["missing", "out/missing.txt", "../missing-folder"]),
)
def test_a_path_that_does_not_exist_exits_1_and_writes_nothing(
    scratch: Path, layout: Layout, options: Options, missing: str
) -> None:
    options = attrs.evolve(options, overwrite=False)
    with scratch_root(scratch) as root:
        work = _start(root, layout, options)
        before = snapshot(root)
        args = (*layout.args, missing)
        argv = options.argv(args)
        note(f"argv: {argv!r}")
        outcome = run_cli(argv, work)
        note(f"exit {outcome.code}; stderr: {outcome.err!r}")
        assert outcome.code == EXIT_ERROR
        assert missing in outcome.err, "the message names the path"
        assert_terminal_safe(outcome.err)
        assert_only_outputs_changed(before, snapshot(root), [])


@settings(RUNS, max_examples=10)
@given(names=st.lists(file_names().filter(lambda n: len(n) < 255), max_size=3))
def test_a_folder_with_no_documents_exits_1(scratch: Path, names: list[bytes]) -> None:
    with scratch_root(scratch) as root:
        work = root / "work"
        (work / "out").mkdir(parents=True)
        (work / "d1").mkdir()
        for name in names:  # hidden entries are skipped: still no documents
            path = os.fsencode(work / "d1") + b"/." + name
            with open(path, "wb") as f:  # noqa: PTH123 (bytes paths)
                f.write(b"hidden")
        before = snapshot(root)
        outcome = run_cli(["dedup", "d1", "--report", "out/r.jsonl", "--kept", "out/k"], work)
        assert outcome.code == EXIT_ERROR
        assert "no documents" in outcome.err
        assert_only_outputs_changed(before, snapshot(root), [])
