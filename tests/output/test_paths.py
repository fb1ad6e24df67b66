"""Output paths: refused onto, inside or around an input, onto each other, or where unwritable."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from newsingest.errors import ConfigError
from newsingest.output.paths import check_output_paths, check_outputs, check_writable, shown
from tests.factories import write


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    write(tmp_path / "in/a/story.txt", "A story")
    write(tmp_path / "feed.jsonl", '{"text": "x"}\n')
    (tmp_path / "out").mkdir()
    return tmp_path


@pytest.mark.parametrize(
    ("option", "target", "problem"),
    [
        ("--kept", "in", "is the input"),  # dedup in --kept in
        ("--kept", ".", "holds the input"),  # dedup feed.jsonl --kept .
        ("--kept", "in/a", "lies inside the input"),
        ("--report", "in/a/story.txt", "lies inside the input"),
        ("--html", "in/new.html", "lies inside the input"),
        ("-o", "feed.jsonl", "is the input"),
        ("--index", "out/../in/a/../news.db", "lies inside the input"),
    ],
)
def test_an_output_over_an_input_is_refused_naming_both(
    inputs: Path, monkeypatch: pytest.MonkeyPatch, option: str, target: str, problem: str
) -> None:
    monkeypatch.chdir(inputs)
    with pytest.raises(ConfigError, match=problem) as caught:
        check_outputs(["in", "feed.jsonl"], {option: target}, folders=("--kept",))
    message = str(caught.value)
    assert f"{option} '{target}'" in message
    assert "'in'" in message or "'feed.jsonl'" in message


def test_symlinks_are_resolved_before_comparing(inputs: Path) -> None:
    link = inputs / "out/link.txt"
    link.symlink_to(inputs / "in/a/story.txt")
    with pytest.raises(ConfigError, match="lies inside the input"):
        check_outputs([inputs / "in"], {"--report": link})
    folder_link = inputs / "out/in-link"
    folder_link.symlink_to(inputs / "in")
    with pytest.raises(ConfigError, match="is the input"):
        check_outputs([folder_link], {"--kept": inputs / "in"}, folders=("--kept",))


def test_a_hard_link_to_an_input_file_is_refused(inputs: Path) -> None:
    twin = inputs / "out/twin.jsonl"
    os.link(inputs / "feed.jsonl", twin)
    with pytest.raises(ConfigError, match="is the input"):
        check_outputs([inputs / "feed.jsonl"], {"--report": twin})


def test_two_outputs_on_one_file_are_refused(inputs: Path) -> None:
    same = inputs / "out/same.html"
    with pytest.raises(ConfigError, match="--report and --html both name"):
        check_outputs([inputs / "in"], {"--report": same, "--html": same})
    with pytest.raises(ConfigError, match="both name"):
        check_outputs(
            [inputs / "in"], {"--report": same, "--html": inputs / "out/../out/same.html"}
        )


def test_an_output_inside_the_kept_folder_is_refused(inputs: Path) -> None:
    kept = inputs / "out/kept"
    with pytest.raises(ConfigError, match="inside the --kept folder"):
        check_outputs(
            [inputs / "in"],
            {"--report": kept / "report.jsonl", "--kept": kept},
            folders=("--kept",),
        )


def test_separate_outputs_stdout_and_devices_pass(inputs: Path) -> None:
    check_outputs(
        [inputs / "in", inputs / "feed.jsonl"],
        {
            "--report": "-",
            "--html": os.devnull,
            "--kept-jsonl": os.devnull,
            "--kept": inputs / "out/kept",
            "--index": None,
        },
        folders=("--kept",),
    )
    # A sibling whose name starts like the input is not inside it.
    check_outputs([inputs / "in"], {"--kept": inputs / "in-kept"}, folders=("--kept",))


def test_check_writable_names_the_option_and_the_path(inputs: Path) -> None:
    with pytest.raises(FileNotFoundError) as caught:
        check_writable("--report", inputs / "no/such/r.jsonl")
    assert "--report" in str(caught.value)
    assert "r.jsonl" in str(caught.value)
    assert ".tmp" not in str(caught.value)
    with pytest.raises(IsADirectoryError):
        check_writable("--html", inputs / "out")
    with pytest.raises(NotADirectoryError):
        check_writable("--kept", inputs / "feed.jsonl", folder=True)
    check_writable("--kept", inputs / "out/new/deeper", folder=True)  # created with parents
    check_writable("--report", inputs / "out/r.jsonl")
    check_writable("--report", os.devnull)
    check_writable("--report", "-")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_a_read_only_folder_is_refused_up_front(inputs: Path) -> None:
    locked = inputs / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        with pytest.raises(PermissionError, match="cannot write in the folder"):
            check_output_paths([inputs / "in"], {"--report": locked / "r.jsonl"})
    finally:
        locked.chmod(0o755)


def test_shown_escapes_controls_and_raw_bytes() -> None:
    assert shown("a\x1b]0;PWNED\x07b") == "'a\\x1b]0;PWNED\\x07b'"
    assert shown(os.fsdecode(b"caf\xe9")) == "'caf\\xe9'"
