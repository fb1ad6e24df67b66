"""WARC input: which records become documents, their ids and fields, and damaged files."""

from __future__ import annotations

import gzip
import logging
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsingest import DedupConfig, dedup
from newsingest.config import IngestConfig, ReadConfig
from newsingest.errors import ReadError
from newsingest.ingest.ids import escape_name, split_document_id, split_record_id
from newsingest.ingest.read import detect_format, is_warc, iter_documents
from newsingest.ingest.run import iter_articles
from newsingest.ingest.warc import parse_http, record_bytes, record_suffix
from newsingest.records import Article, RawDocument, Rejection
from tests.ingest.warc_helpers import (
    OTHER,
    STORY,
    members,
    other_record,
    page,
    response,
    three_pages,
)


def read(path: Path, **config: object) -> list[RawDocument | Rejection]:
    return list(iter_documents([path], ReadConfig(**config)))  # type: ignore[arg-type]


def docs(items: list[RawDocument | Rejection]) -> list[RawDocument]:
    return [i for i in items if isinstance(i, RawDocument)]


def rejections(items: list[RawDocument | Rejection]) -> list[Rejection]:
    return [i for i in items if isinstance(i, Rejection)]


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# ---------------------------------------------------------------- reading records


@pytest.mark.parametrize("name", ["crawl.warc", "crawl.warc.gz"])
def test_each_html_response_is_one_document_with_its_url_date_and_charset(
    tmp_path: Path, name: str
) -> None:
    records = three_pages()
    data = members(records) if name.endswith(".gz") else b"".join(records)
    items = read(write(tmp_path, name, data))
    assert rejections(items) == []
    got = docs(items)
    assert [d.url for d in got] == [f"https://news.example/{i}" for i in range(3)]
    assert all(d.format == "html" and d.path == str(tmp_path / name) for d in got)
    assert all(d.record_date == "2024-05-01T12:00:00Z" and d.charset == "utf-8" for d in got)
    assert got[1].data.startswith(b"<!DOCTYPE html>")
    assert b"Story number 1" in got[1].data
    assert got[1].data.endswith(b"</html>")


def test_plain_and_gzip_warc_give_the_same_documents(tmp_path: Path) -> None:
    records = three_pages()
    plain = docs(read(write(tmp_path, "a.warc", b"".join(records))))
    packed = docs(read(write(tmp_path, "a.warc.gz", members(records))))
    assert [(d.url, d.data) for d in plain] == [(d.url, d.data) for d in packed]


def test_detect_format_knows_warc() -> None:
    assert detect_format("x/crawl.WARC.gz") == ("html", "gzip")
    assert is_warc("crawl.warc")
    assert is_warc("crawl.warc.gz")
    assert not is_warc("page.html")


def test_compressions_other_than_gzip_are_refused_by_name(tmp_path: Path) -> None:
    path = write(tmp_path, "crawl.warc.bz2", b"x")
    (rejection,) = read(path)
    assert isinstance(rejection, Rejection)
    assert ".warc or .warc.gz" in rejection.reason


# ---------------------------------------------------------------- ids


@pytest.mark.parametrize("name", ["crawl.warc", "crawl.warc.gz"])
def test_record_ids_name_the_record_offset(tmp_path: Path, name: str) -> None:
    records = three_pages()
    gz = name.endswith(".gz")
    data = members(records) if gz else b"".join(records)
    path = write(tmp_path, name, data)
    for doc in docs(read(path)):
        file, offset, repeat = split_record_id(doc.id)
        assert file == str(path)
        assert repeat == 0
        at = data[offset:]
        record = zlib.decompressobj(31).decompress(at) if gz else at
        assert record.startswith(b"WARC/1.1\r\n")
        assert f"WARC-Target-URI: {doc.url}\r\n".encode() in record[:400]


def test_a_file_named_with_hash_keeps_reversible_record_ids(tmp_path: Path) -> None:
    path = write(tmp_path, "feed#2.warc", b"".join(three_pages()))
    got = docs(read(tmp_path))
    assert got[0].id == "feed\\#2.warc#@0"
    assert split_record_id(got[0].id) == (path.name, 0, 0)
    with pytest.raises(ValueError, match="split_record_id"):
        split_document_id(got[0].id)
    with pytest.raises(ValueError, match="not a WARC record"):
        split_record_id("feed.jsonl#3")


@given(
    name=st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=20),
    offset=st.integers(0, 10**12),
    repeat=st.integers(0, 50),
)
def test_record_ids_are_reversible(name: str, offset: int, repeat: int) -> None:
    doc_id = escape_name(name) + record_suffix(offset, repeat)
    assert split_record_id(doc_id) == (name, offset, repeat)


def test_one_gzip_stream_still_gives_unique_ids(tmp_path: Path) -> None:
    path = write(tmp_path, "one.warc.gz", gzip.compress(b"".join(three_pages()), mtime=0))
    got = docs(read(path))
    assert len(got) == 3
    assert len({d.id for d in got}) == 3
    assert all(split_record_id(d.id)[0] == str(path) for d in got)


# ---------------------------------------------------------------- skipped records


def test_records_that_are_not_html_pages_are_skipped_and_counted(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    good = three_pages()
    records = [
        other_record("warcinfo", "", 90),
        other_record("request", "https://news.example/0", 91, b"GET / HTTP/1.1\r\n\r\n"),
        good[0],
        other_record("metadata", "https://news.example/0", 92),
        response(
            "https://news.example/logo.png",
            b"\x89PNG\r\n\x1a\n" + bytes(40),
            93,
            content_type="image/png",
        ),
        response(
            "https://news.example/a.pdf", b"%PDF-1.4\n%%EOF\n", 94, content_type="application/pdf"
        ),
        response(
            "https://news.example/gone",
            page("Not found", ["No such page."]),
            95,
            status="404 Not Found",
        ),
        response(
            "https://news.example/x",
            page("XHTML page", STORY),
            96,
            content_type="application/xhtml+xml",
        ),
        good[1],
    ]
    path = write(tmp_path, "mixed.warc.gz", members(records))
    with caplog.at_level(logging.INFO, logger="newsingest.ingest.warc"):
        items = read(path)
    assert rejections(items) == []
    assert [d.url for d in docs(items)] == [
        "https://news.example/0",
        "https://news.example/x",
        "https://news.example/1",
    ]
    (message,) = [r.getMessage() for r in caplog.records]
    assert "6 WARC record(s) skipped" in message
    for kind in ("1 request", "1 metadata", "1 warcinfo", "1 HTTP 404", "(image/png)"):
        assert kind in message


def test_a_response_without_content_type_is_a_page_only_if_it_starts_like_one(
    tmp_path: Path,
) -> None:
    records = [
        response("https://a.example/page", page("Untyped page", STORY), 1, content_type=None),
        response("https://a.example/blob", b"\x00\x01binary", 2, content_type=None),
    ]
    got = docs(read(write(tmp_path, "u.warc", b"".join(records))))
    assert [d.url for d in got] == ["https://a.example/page"]


# ---------------------------------------------------------------- HTTP payloads


def test_chunked_and_gzip_encoded_payloads_are_decoded(tmp_path: Path) -> None:
    html = page("Encoded page", STORY)
    chunked = (
        b"".join(
            b"%x\r\n%s\r\n" % (len(html[i : i + 100]), html[i : i + 100])
            for i in range(0, len(html), 100)
        )
        + b"0\r\n\r\n"
    )
    records = [
        response("https://a.example/c", chunked, 1, headers=[("Transfer-Encoding", "chunked")]),
        response(
            "https://a.example/g", gzip.compress(html), 2, headers=[("Content-Encoding", "gzip")]
        ),
        response(
            "https://a.example/d", zlib.compress(html), 3, headers=[("Content-Encoding", "deflate")]
        ),
    ]
    got = docs(read(write(tmp_path, "enc.warc", b"".join(records))))
    assert [d.data for d in got] == [html, html, html]


def test_a_payload_stored_decoded_under_its_encoding_header_is_kept_with_a_note(
    tmp_path: Path,
) -> None:
    html = page("Already decoded", STORY)
    record = response("https://a.example/p", html, 1, headers=[("Content-Encoding", "gzip")])
    (doc,) = read(write(tmp_path, "p.warc", record))
    assert isinstance(doc, RawDocument)
    assert doc.data == html
    assert doc.notes == ("Content-Encoding: gzip, but the payload is not encoded",)


def test_a_payload_that_cannot_be_decoded_is_rejected(tmp_path: Path) -> None:
    records = [
        response(
            "https://a.example/bad",
            b"\x1f\x8b\x08garbage",
            1,
            headers=[("Content-Encoding", "gzip")],
        ),
        three_pages()[0],
    ]
    items = read(write(tmp_path, "bad.warc", b"".join(records)))
    (rejection,) = rejections(items)
    assert rejection.id.endswith("#@0")
    assert "Content-Encoding gzip" in rejection.reason
    assert len(docs(items)) == 1


def test_parse_http_refuses_a_block_that_is_not_http() -> None:
    with pytest.raises(ReadError, match="HTTP status line"):
        parse_http(b"hello\r\n\r\nbody", 1000)
    with pytest.raises(ReadError, match="complete HTTP headers"):
        parse_http(b"HTTP/1.1 200 OK\r\nContent-Type: text/html", 1000)
    parsed = parse_http(
        b'HTTP/1.1 200 OK\r\nContent-Type: text/html; charset="Shift_JIS"\r\n\r\nx', 9
    )
    assert (parsed.status, parsed.media_type, parsed.charset) == (200, "text/html", "shift_jis")


# ---------------------------------------------------------------- damaged files


def test_a_gzip_member_cut_in_its_trailer_keeps_its_record_and_rejects_the_file(
    tmp_path: Path,
) -> None:
    data = members(three_pages())
    path = write(tmp_path, "t.warc.gz", data[:-4])
    items = read(path)
    assert len(docs(items)) == 3
    (rejection,) = rejections(items)
    assert rejection.id == str(path)
    assert "has no valid end" in rejection.reason


def test_a_truncated_gzip_member_is_rejected_and_the_records_before_it_kept(
    tmp_path: Path,
) -> None:
    data = members(three_pages())
    items = read(write(tmp_path, "cut.warc.gz", data[:-50]))
    assert len(docs(items)) == 2
    (rejection,) = rejections(items)
    assert "truncated WARC record" in rejection.reason
    assert (
        split_record_id(rejection.id)[1]
        == split_record_id(docs(read(write(tmp_path, "ok.warc.gz", data)))[2].id)[1]
    )


def test_a_truncated_plain_warc_keeps_the_complete_records(tmp_path: Path) -> None:
    data = b"".join(three_pages())
    items = read(write(tmp_path, "cut.warc", data[:-300]))
    assert len(docs(items)) == 2
    (rejection,) = rejections(items)
    assert rejection.reason.startswith("truncated WARC record:")


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip"])
def test_garbage_between_records_is_one_rejection_and_reading_goes_on(
    tmp_path: Path, gz: bool
) -> None:
    records = three_pages()
    garbage = b"not a record\x00\x01\r\n\r\n"
    if gz:
        parts = [gzip.compress(r, mtime=0) for r in records]
        data = parts[0] + garbage + parts[1] + parts[2]
        name = "g.warc.gz"
    else:
        data = records[0] + garbage + records[1] + records[2]
        name = "g.warc"
    items = read(write(tmp_path, name, data))
    assert [d.url for d in docs(items)] == [f"https://news.example/{i}" for i in range(3)]
    (rejection,) = rejections(items)
    first_end = len(gzip.compress(records[0], mtime=0)) if gz else len(records[0])
    assert rejection.id == f"{tmp_path / name}#@{first_end}"
    assert f"from byte {first_end} to byte {first_end + len(garbage)}" in rejection.reason


def test_a_record_without_content_length_is_rejected_and_the_next_one_kept(
    tmp_path: Path,
) -> None:
    records = three_pages()
    broken = response(
        "https://news.example/nocl", page("No length", STORY), 9, content_length=False
    )
    items = read(write(tmp_path, "n.warc", records[0] + broken + records[2]))
    assert [d.url for d in docs(items)] == ["https://news.example/0", "https://news.example/2"]
    reasons = [r.reason for r in rejections(items)]
    assert reasons[0] == "WARC record without a Content-Length"


@pytest.mark.parametrize("data", [b"", b"just text\n", b"\x1f\x8b\x08\x00broken"])
def test_a_file_with_no_record_is_one_rejection(tmp_path: Path, data: bytes) -> None:
    items = read(write(tmp_path, "x.warc", data))
    assert len(items) == 1
    assert isinstance(items[0], Rejection)


def test_the_document_size_cap_applies_to_each_record(tmp_path: Path) -> None:
    big = page("A very long page", STORY * 200)
    records = [
        response("https://a.example/big", big, 1),
        response("https://a.example/video", bytes(len(big)), 2, content_type="video/mp4"),
        response("https://a.example/small", page("Small page", STORY), 3),
    ]
    items = read(write(tmp_path, "cap.warc", b"".join(records)), max_document_bytes=4096)
    assert [d.url for d in docs(items)] == ["https://a.example/small"]
    (rejection,) = rejections(items)
    assert rejection.id.endswith("#@0")
    assert "max_document_bytes (4096)" in rejection.reason


def test_records_adding_up_past_the_stream_cap_stop_the_file(tmp_path: Path) -> None:
    items = read(write(tmp_path, "s.warc", b"".join(three_pages())), max_stream_bytes=1500)
    assert len(docs(items)) == 1
    assert "max_stream_bytes" in rejections(items)[-1].reason


_SEEDS = [b"".join(three_pages()), members(three_pages())]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.one_of(
        st.binary(max_size=2000),
        st.tuples(st.sampled_from(_SEEDS), st.integers(0, 4000), st.binary(max_size=40)).map(
            lambda t: t[0][: t[1]] + t[2] + t[0][t[1] :]
        ),
        st.tuples(st.sampled_from(_SEEDS), st.integers(0, 4000)).map(lambda t: t[0][: t[1]]),
    ),
    gz=st.booleans(),
)
def test_arbitrary_bytes_named_warc_never_raise_out_of_a_batch(
    tmp_path: Path, data: bytes, gz: bool
) -> None:
    path = write(tmp_path, "fuzz.warc.gz" if gz else "fuzz.warc", data)
    items = list(iter_articles([path], IngestConfig()))
    assert items
    assert all(isinstance(i, Article | Rejection) for i in items)
    assert len({i.id for i in items}) == len(items)


# ---------------------------------------------------------------- articles and dedup


def test_articles_keep_the_url_and_take_the_warc_date_only_when_undated(tmp_path: Path) -> None:
    records = [
        response(
            "https://a.example/dated",
            page("A dated story", STORY, date="2023-08-03"),
            1,
            date="2024-05-01T12:00:00Z",
        ),
        response(
            "https://a.example/undated",
            page("An undated story", OTHER),
            2,
            date="2024-05-02T09:30:00Z",
        ),
    ]
    path = write(tmp_path, "a.warc.gz", members(records))
    dated, undated = list(iter_articles([path]))
    assert isinstance(dated, Article)
    assert isinstance(undated, Article)
    assert dated.url == "https://a.example/dated"
    assert str(dated.date) == "2023-08-03"
    assert not any("WARC-Date" in n for n in dated.notes)
    assert undated.url == "https://a.example/undated"
    assert str(undated.date) == "2024-05-02"
    assert undated.date_raw == "2024-05-02T09:30:00Z"
    assert "date from WARC-Date (when the page was fetched)" in undated.notes
    assert any(n.startswith("HTTP charset utf-8; decoded as utf-8") for n in undated.notes)


def test_jobs_do_not_change_what_a_warc_gives(tmp_path: Path) -> None:
    write(tmp_path, "a.warc.gz", members(three_pages()))
    write(tmp_path, "b.warc", b"".join(three_pages())[:-100])
    one = [(i.id, type(i).__name__) for i in iter_articles([tmp_path], jobs=1)]
    two = [(i.id, type(i).__name__) for i in iter_articles([tmp_path], jobs=2)]
    assert one == two
    assert len(one) == 6


def test_dedup_finds_two_copies_of_one_story_in_a_warc(tmp_path: Path) -> None:
    title = "Council approves protected bike lanes on Harbor Street"
    records = [
        other_record("request", "https://harbor.example/bikes", 10, b"GET / HTTP/1.1\r\n\r\n"),
        response("https://harbor.example/bikes", page(title, STORY, date="2023-08-03"), 11),
        response("https://valley.example/cattle", page("Ranchers sell cattle early", OTHER), 12),
        response(
            "https://metro.example/harbor-street",
            page(title, STORY, site="Metro Wire"),
            13,
            headers=[("Cache-Control", "max-age=60")],
        ),
    ]
    path = write(tmp_path, "crawl.warc.gz", members(records))
    result = dedup([path], DedupConfig(jobs=1))
    assert result.rejections == ()
    (cluster,) = result.clusters
    urls = {d.url: d.id for d in docs(read(path))}
    assert set(cluster.members) == {
        urls["https://harbor.example/bikes"],
        urls["https://metro.example/harbor-street"],
    }
    assert cluster.canonical == urls["https://harbor.example/bikes"]


def test_a_warc_with_no_html_page_is_one_rejection_that_says_what_it_held(
    tmp_path: Path,
) -> None:
    records = [
        other_record("request", "https://a.example/", 1, b"GET / HTTP/1.1\r\n\r\n"),
        response("https://a.example/logo.png", b"\x89PNG\r\n\x1a\n", 2, content_type="image/png"),
    ]
    path = write(tmp_path, "media.warc", b"".join(records))
    (rejection,) = read(path)
    assert isinstance(rejection, Rejection)
    assert rejection.id == str(path)
    assert rejection.reason == (
        "no HTML pages among its records (1 non-HTML response (image/png), 1 request)"
    )


@pytest.mark.parametrize("cut", [12, 40, 120, 400])
def test_a_gzip_member_cut_anywhere_is_one_rejection_with_its_record_id(
    tmp_path: Path, cut: int
) -> None:
    parts = [gzip.compress(r, mtime=0) for r in three_pages()]
    items = read(write(tmp_path, "cut.warc.gz", parts[0] + parts[1][:cut]))
    assert len(docs(items)) == 1
    (rejection,) = rejections(items)
    assert rejection.id == f"{tmp_path / 'cut.warc.gz'}#@{len(parts[0])}"
    assert rejection.reason.startswith(
        (
            "truncated WARC record",
            "WARC record with incomplete headers",
            "WARC record without a Content-Length",
            "unreadable WARC data",
        )
    )


@pytest.mark.parametrize("name", ["crawl.warc", "crawl.warc.gz"])
def test_record_bytes_cut_out_a_record_that_reads_back_alone(tmp_path: Path, name: str) -> None:
    records = three_pages()
    data = members(records) if name.endswith(".gz") else b"".join(records)
    path = write(tmp_path, name, data)
    first, second, _ = docs(read(path))
    with path.open("rb") as raw:
        piece = record_bytes(raw, split_record_id(second.id)[1])
        with pytest.raises(ReadError, match="no whole WARC record at byte 5"):
            record_bytes(raw, 5)
    (tmp_path / "out").mkdir()
    (alone,) = docs(read(write(tmp_path / "out", name, piece)))
    assert (alone.url, alone.data) == (second.url, second.data)
    assert alone.url != first.url
