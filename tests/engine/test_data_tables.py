"""Table files as found in the wild (issue 10, finding 2): sniffed delimiter and header,
1-based column positions, TSV without quote processing, and every hazard real text holds."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.data import load_dataset
from engine.errors import DataError
from engine.experiment import DataConfig, Experiment, SplitConfig, loads
from tests.engine.real_files import UCI_HAM_LINES, UCI_SPAM_LINES, write_imdb_csv, write_isot, write_uci_sms


def exp_for(tmp_path: Path, **data) -> Experiment:
    split = data.pop("split", SplitConfig(validation=0.2, test=0.0, seed=1))
    return Experiment(data=DataConfig(split=split, **data), base_dir=tmp_path)


def rows(ds) -> list[tuple[str, str]]:
    """(label, text) of every loaded row, in no particular order."""
    return [(ds.class_names[int(y)], t) for s in ds.splits().values() for t, y in zip(s.texts, s.labels, strict=True)]


def counts(ds) -> dict[str, int]:
    return dict(Counter(label for label, _ in rows(ds)))


def note_numbers(notes: list[str]) -> int:
    """Rows the notes say were dropped, skipped or merged away."""
    total = 0
    for n in notes:
        for pattern in (r"dropped (\d+) rows? with no label", r"dropped (\d+) rows with missing text and (\d+) with empty text", r"skipped (\d+) blank lines?", r"dropped (\d+) lines? with more fields"):
            for m in re.finditer(pattern, n):
                total += sum(int(g) for g in m.groups())
    return total


def write_lines(path: Path, lines: list[str], newline: str = "\n") -> Path:
    path.write_bytes(("".join(line + newline for line in lines)).encode("utf-8"))
    return path


# --- the real layouts -------------------------------------------------------------------------


def test_uci_sms_file_loads_with_no_settings(tmp_path):
    write_uci_sms(tmp_path)
    ds = load_dataset(exp_for(tmp_path, source="csv", path="SMSSpamCollection"))
    assert counts(ds) == {"ham": UCI_HAM_LINES, "spam": UCI_SPAM_LINES}
    assert ds.class_names == ["ham", "spam"]
    texts = {t for _, t in rows(ds)}
    # the first line is data, unbalanced quotes stay in their own message, entities are kept
    assert "Go until jurong point, crazy.. Available only in bugis n great world la e buffet... Cine there got amore wat..." in texts
    assert '"Hey! I\'m home' in texts and "Sorry, I'll call later in meeting &lt;#&gt; mins" in texts
    assert "Haha awesome, be there in a minute 😂👍" in texts
    note = " ".join(ds.notes)
    assert "no header" in note and "column 2 as text" in note and "column 1 as label" in note
    assert "read 5,574 rows from 5,574 lines as tab-separated values without quoted fields" in note


def test_uci_sms_file_renamed_tsv_and_from_a_toml_file(tmp_path):
    write_uci_sms(tmp_path, name="sms.tsv")
    exp = loads('[data]\nsource = "csv"\npath = "sms.tsv"\ntext = 2\nlabel = 1\n', base_dir=tmp_path)
    ds = load_dataset(exp)
    assert counts(ds) == {"ham": UCI_HAM_LINES, "spam": UCI_SPAM_LINES}


def test_explicit_format_and_header_override_sniffing(tmp_path):
    write_uci_sms(tmp_path, ham=40, spam=20, name="sms.data")
    exp = loads('[data]\nsource = "csv"\npath = "sms.data"\nformat = "tsv"\nheader = false\ntext = 2\nlabel = 1\n', base_dir=tmp_path)
    assert counts(load_dataset(exp)) == {"ham": 40, "spam": 20}
    # header = true makes the first message the column names: one row fewer, named columns
    exp.data.header, exp.data.text, exp.data.label = True, "", ""
    ds = load_dataset(exp)
    assert sum(counts(ds).values()) == 59
    assert any("'Go until jurong point" in n for n in ds.notes)
    # quotes = true on a TSV whose last quote never closes: an error that names the fix
    exp.data.header, exp.data.quotes, exp.data.text, exp.data.label = False, True, 2, 1
    with pytest.raises(DataError) as err:
        load_dataset(exp)
    assert "never closes" in err.value.problem and "data.quotes = false" in err.value.fix


def test_quotes_on_a_tsv_merge_lines_and_say_so(tmp_path):
    lines = ['ham\t"Hey! I\'m home', "spam\tfree prize", 'ham\tsay "hi', "spam\tcall now", "ham\tfine", "spam\twin"]
    write_lines(tmp_path / "q.tsv", lines)
    ds = load_dataset(exp_for(tmp_path, source="csv", path="q.tsv", header=False, quotes=True))
    assert sum(counts(ds).values()) == 4  # the first three lines became one row
    assert any("1 row span several lines (6 lines made 4 rows)" in n and "data.quotes = false" in n for n in ds.notes)
    assert sum(counts(load_dataset(exp_for(tmp_path, source="csv", path="q.tsv", header=False))).values()) == 6


def test_imdb_reviews_csv(tmp_path):
    write_imdb_csv(tmp_path, per_class=50)
    ds = load_dataset(exp_for(tmp_path, source="csv", path="IMDB Dataset.csv"))
    assert counts(ds) == {"positive": 50, "negative": 50}
    texts = {t for _, t in rows(ds)}
    assert any("<br /><br />" in t and '"extremely"' in t for t in texts)
    assert any("too hot summer weekend,\nsitting" in t and "\x85" in t for t in texts)
    assert any("\u2028" in t for t in texts) and any("\u2029" in t for t in texts)
    assert any("Bad mistake.\r\nI've seen" in t or "Bad mistake.\nI've seen" in t for t in texts)


def test_isot_pair_per_class(tmp_path):
    write_isot(tmp_path, fake=30, true=20)
    exp = loads('[data]\nsource = "per-class"\nfiles = { fake = "Fake.csv", true = "True.csv" }\n', base_dir=tmp_path)
    ds = load_dataset(exp)
    # every third fake row has the text " " (as in the real file): dropped and counted
    assert counts(ds) == {"fake": 20, "true": 20}
    assert any("dropped 0 rows with missing text and 10 with empty text" in n for n in ds.notes)
    assert any("after President Donald Trump’s administration" in t for _, t in rows(ds))
    by_title = load_dataset(loads('[data]\nsource = "per-class"\ntext = "title"\nfiles = { fake = "Fake.csv", true = "True.csv" }\n', base_dir=tmp_path))
    assert counts(by_title) == {"fake": 30, "true": 20}


# --- finding 6: per-class files relative to data.path -------------------------------------------


def test_per_class_files_relative_to_data_path(tmp_path):
    (tmp_path / "isot").mkdir()
    write_isot(tmp_path / "isot", fake=9, true=6)
    exp = loads('[data]\nsource = "per-class"\npath = "isot"\ntext = "title"\nfiles = { fake = "Fake.csv", true = "True.csv" }\n', base_dir=tmp_path)
    assert counts(load_dataset(exp)) == {"fake": 9, "true": 6}
    # absolute files still work, whatever data.path says
    exp.data.files = {"fake": str(tmp_path / "isot" / "Fake.csv"), "true": str(tmp_path / "isot" / "True.csv")}
    exp.data.path = "elsewhere"
    assert counts(load_dataset(exp)) == {"fake": 9, "true": 6}


def test_per_class_missing_file_names_the_full_path(tmp_path):
    (tmp_path / "isot").mkdir()
    write_isot(tmp_path / "isot", fake=9, true=6)
    exp = loads('[data]\nsource = "per-class"\npath = "isot"\nfiles = { fake = "Fake.csv", true = "Ture.csv" }\n', base_dir=tmp_path)
    with pytest.raises(DataError) as err:
        load_dataset(exp)
    assert str(tmp_path / "isot" / "Ture.csv") in err.value.problem and "data.files" in err.value.fix


# --- positions, guessing and its messages --------------------------------------------------------


def test_positions_address_columns_with_or_without_a_header(tmp_path):
    write_lines(tmp_path / "h.csv", ["id,review,sentiment"] + [f"{i},text number {i},{'pos' if i % 2 else 'neg'}" for i in range(10)])
    ds = load_dataset(exp_for(tmp_path, source="csv", path="h.csv", text=2, label=3))
    assert counts(ds) == {"pos": 5, "neg": 5}
    with pytest.raises(DataError) as err:
        load_dataset(exp_for(tmp_path, source="csv", path="h.csv", text=4, label=3))
    assert "column 4" in err.value.problem and "3 columns" in err.value.problem and "data.text" in err.value.fix


def test_a_name_on_a_file_without_header_lists_the_positions(tmp_path):
    write_uci_sms(tmp_path, ham=20, spam=10)
    with pytest.raises(DataError) as err:
        load_dataset(exp_for(tmp_path, source="csv", path="SMSSpamCollection", text="message", label=1))
    assert "no header" in err.value.problem
    assert "1 ('ham')" in err.value.problem and "2 ('Go until jurong" in err.value.problem
    assert "text = 2" in err.value.fix or "position" in err.value.fix


def test_sniffed_delimiters(tmp_path):
    for sep in (";", "|", ","):
        lines = [f"good text number {i}{sep}{'a' if i % 2 else 'b'}" for i in range(12)]
        write_lines(tmp_path / "plain.data", lines)
        ds = load_dataset(exp_for(tmp_path, source="csv", path="plain.data"))
        assert counts(ds) == {"a": 6, "b": 6}, sep
        assert all(t.startswith("good text number") for _, t in rows(ds))


def test_header_sniffed_on_a_file_without_extension(tmp_path):
    write_lines(tmp_path / "reviews", ["text\tlabel"] + [f"words {i}\t{'x' if i % 2 else 'y'}" for i in range(10)])
    ds = load_dataset(exp_for(tmp_path, source="csv", path="reviews"))
    assert counts(ds) == {"x": 5, "y": 5}
    assert any("'text' as text" in n for n in ds.notes)


# --- bad input: hazards inside fields ----------------------------------------------------------


SEPARATORS = ["\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029", "\x00"]


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_line_separators_inside_fields_do_not_split_rows(tmp_path, newline):
    msgs = [f"before{sep}after {i}" for i, sep in enumerate(SEPARATORS)]
    lines = [f"{'ham' if i % 2 else 'spam'}\t{m}" for i, m in enumerate(msgs)]
    write_lines(tmp_path / "seps", lines, newline)
    ds = load_dataset(exp_for(tmp_path, source="csv", path="seps"))
    assert sorted(t for _, t in rows(ds)) == sorted(msgs)
    assert counts(ds) == {"ham": 5, "spam": 5}


def test_rtl_and_emoji_kept_byte_exact(tmp_path):
    msgs = ["مرحبا كيف حالك؟ 👋🏽", "שלום עולם \u200f(RTL mark)", "family 👨‍👩‍👧‍👦 and flag 🇩🇪", "e\u0301 combining", "plain ascii"] * 2
    write_lines(tmp_path / "u.tsv", [f"{'a' if i % 2 else 'b'}\t{m}" for i, m in enumerate(msgs)])
    ds = load_dataset(exp_for(tmp_path, source="csv", path="u.tsv", header=False))
    assert sorted(t.encode() for _, t in rows(ds)) == sorted(m.encode() for m in msgs)


def test_bom_is_not_part_of_the_first_column(tmp_path):
    (tmp_path / "bom.csv").write_bytes(b"\xef\xbb\xbftext,label\n" + b"".join(f"t {i},{i % 2}\n".encode() for i in range(8)))
    ds = load_dataset(exp_for(tmp_path, source="csv", path="bom.csv", text="text", label="label"))
    assert counts(ds) == {"0": 4, "1": 4}


def test_invalid_utf8_is_replaced_and_counted_without_extension(tmp_path):
    body = b"ham\tcaf\xe9 ok\nspam\tfree \xff\xfe prize\nham\tfine\nspam\tcall now\n"
    (tmp_path / "latin").write_bytes(body)
    ds = load_dataset(exp_for(tmp_path, source="csv", path="latin"))
    assert "caf\ufffd ok" in {t for _, t in rows(ds)}
    assert any("replaced 3 bytes that are not UTF-8" in n for n in ds.notes)


def test_unbalanced_quotes_in_tsv_keep_every_line(tmp_path):
    lines = ['ham\t"Hey! I\'m home', "spam\tfree prize", 'ham\tsay "hi', "spam\t\"\"\" odd", 'ham\tend"', "spam\tlast"]
    write_lines(tmp_path / "q.tsv", lines)
    ds = load_dataset(exp_for(tmp_path, source="csv", path="q.tsv", header=False))
    assert sorted(t for _, t in rows(ds)) == sorted(line.split("\t", 1)[1] for line in lines)


def test_very_long_line(tmp_path):
    long = "word " * 200_000  # 1 MB
    write_lines(tmp_path / "long", [f"a\t{long}", "b\tshort", "a\tanother", "b\tone more"])
    ds = load_dataset(exp_for(tmp_path, source="csv", path="long"))
    assert counts(ds) == {"a": 2, "b": 2}
    assert max(len(t) for _, t in rows(ds)) == len(long)


def test_every_line_is_accounted_for(tmp_path):
    lines = [f"{'ham' if i % 2 else 'spam'}\tmessage {i}" for i in range(12)]
    lines += ["\tno label here", "\tno label either", "ham\t", "ham\ttoo\tmany\tfields", "spam\ta\tb", "", "", "spam"]
    path = write_lines(tmp_path / "messy", lines)
    ds = load_dataset(exp_for(tmp_path, source="csv", path="messy", text=2, label=1))
    n_lines = path.read_bytes().count(b"\n")
    assert len(rows(ds)) == 12
    assert len(rows(ds)) + note_numbers(ds.notes) == n_lines, ds.notes
    assert any("dropped 2 lines with more fields" in n for n in ds.notes)
    assert any("skipped 2 blank lines" in n for n in ds.notes)


def test_empty_file_without_extension(tmp_path):
    (tmp_path / "empty").write_bytes(b"")
    with pytest.raises(DataError, match="empty"):
        load_dataset(exp_for(tmp_path, source="csv", path="empty"))
    (tmp_path / "blank").write_bytes(b"\n\n \n")
    with pytest.raises(DataError) as err:
        load_dataset(exp_for(tmp_path, source="csv", path="blank"))
    assert err.value.fix


def test_header_only_file(tmp_path):
    (tmp_path / "head.tsv").write_text("text\tlabel\n")
    with pytest.raises(DataError, match="no data rows"):
        load_dataset(exp_for(tmp_path, source="csv", path="head.tsv", header=True))


def test_directory_passed_as_file(tmp_path):
    (tmp_path / "sms.tsv").mkdir()
    with pytest.raises(DataError) as err:
        load_dataset(exp_for(tmp_path, source="csv", path="sms.tsv"))
    assert "folder" in err.value.problem and err.value.fix


def test_binary_file_without_a_known_extension(tmp_path):
    (tmp_path / "book.xlsx").write_bytes(b"PK\x03\x04" + bytes(range(256)) * 4)
    with pytest.raises(DataError) as err:
        load_dataset(exp_for(tmp_path, source="csv", path="book.xlsx"))
    assert "book.xlsx" in err.value.problem and ".csv" in err.value.fix and "data.format" in err.value.fix


def test_utf16_file_says_so(tmp_path):
    (tmp_path / "u16.csv").write_bytes("text,label\nhello,a\nbye,b\n".encode("utf-16"))
    with pytest.raises(DataError) as err:
        load_dataset(exp_for(tmp_path, source="csv", path="u16.csv"))
    assert "UTF-16" in err.value.problem and "UTF-8" in err.value.fix


# --- finding 9: what the label and text columns hold ----------------------------------------------


def test_all_empty_label_column_says_it_is_empty(tmp_path):
    write_lines(tmp_path / "e.csv", ["text,label"] + [f"some text {i}," for i in range(6)])
    with pytest.raises(DataError) as err:
        load_dataset(exp_for(tmp_path, source="csv", path="e.csv", text="text", label="label"))
    assert "'label'" in err.value.problem and "empty" in err.value.problem and "only one class" not in err.value.problem
    assert "data.label" in err.value.fix


def test_numeric_text_column_warns(tmp_path):
    write_lines(tmp_path / "n.csv", ["id,review,sentiment"] + [f"{1000 + i},nice film {i},{'pos' if i % 2 else 'neg'}" for i in range(10)])
    ds = load_dataset(exp_for(tmp_path, source="csv", path="n.csv", text="id", label="sentiment"))
    warning = next(n for n in ds.notes if "number" in n)
    assert "every text" in warning and "'id'" in warning and "data.text" in warning
    # a few numbers among real texts: no warning
    ds = load_dataset(exp_for(tmp_path, source="csv", path="n.csv", text="review", label="sentiment"))
    assert not any("number" in n for n in ds.notes)


def test_mostly_numeric_text_column_warns_with_the_share(tmp_path):
    write_lines(tmp_path / "m.csv", ["t,l"] + [f"{i},{'x' if i % 2 else 'y'}" for i in range(8)] + ["some words,x", "more words,y"])
    ds = load_dataset(exp_for(tmp_path, source="csv", path="m.csv", text="t", label="l"))
    assert any("8 of 10 texts" in n and "'t'" in n for n in ds.notes)


# --- the property: any messages, written UCI-style, come back the same ----------------------------

MESSAGE = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\t"), min_size=1, max_size=40).filter(lambda m: m.strip() and not m.endswith("\r"))


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(pairs=st.lists(st.tuples(st.sampled_from(["ham", "spam"]), MESSAGE), min_size=1, max_size=30))
def test_uci_style_round_trip(tmp_path, pairs):
    pairs = pairs + [("ham", "an ordinary message"), ("spam", "win a prize now")]  # both classes; the first label recurs
    (tmp_path / "sms").write_bytes("".join(f"{label}\t{msg}\n" for label, msg in pairs).encode("utf-8"))
    ds = load_dataset(exp_for(tmp_path, source="csv", path="sms", text=2, label=1, split=SplitConfig(0.0, 0.0, 1)))
    assert sorted(rows(ds)) == sorted(pairs)
    assert np.bincount(ds.train.labels).sum() == len(pairs)


@pytest.mark.timeout(60)  # a quadratic sniff of this line takes many minutes; a linear one, well under a second
def test_sniffing_a_long_line_of_quotes_is_quick(tmp_path):
    (tmp_path / "quotes").write_text('a,"' * 20000 + "\n" + "b,c\n")
    with pytest.raises(DataError) as err:  # 20,001 columns
        load_dataset(exp_for(tmp_path, source="csv", path="quotes"))
    assert "columns" in err.value.problem and "data.format" in err.value.fix


@pytest.mark.parametrize("named", [{}, {"text": "text", "label": "label"}])
def test_a_first_data_row_with_one_field_too_many_is_dropped_and_named(tmp_path, named):
    """Issue 18, finding 9: pandas took the wide first row for an index column, so every row
    shifted one column left (texts read as labels) behind a false note."""
    lines = ["text,label", "a great film,pos,extra"] + [f"{'good' if i % 2 else 'bad'} film number {i},{'pos' if i % 2 else 'neg'}" for i in range(112)]
    path = write_lines(tmp_path / "extra.csv", lines)
    ds = load_dataset(exp_for(tmp_path, source="csv", path="extra.csv", **named))
    assert counts(ds) == {"neg": 56, "pos": 56}
    assert ("neg", "bad film number 0") in rows(ds)
    assert not any("blank" in n for n in ds.notes), ds.notes
    [note] = [n for n in ds.notes if "more fields" in n]
    assert "dropped 1 line with more fields than the header (2): line 2 has 3" in note
    assert "quote" in note  # the fix: the delimiter, or quotes around fields that hold one
    assert len(rows(ds)) + note_numbers(ds.notes) == path.read_bytes().count(b"\n") - 1  # the header


def test_wide_rows_later_in_the_file_are_named_by_line(tmp_path):
    lines = ["text,label"] + [f"film {i},{'pos' if i % 2 else 'neg'}" for i in range(10)] + ["a, b, c,pos", "x,neg"]
    write_lines(tmp_path / "wide.csv", lines)
    ds = load_dataset(exp_for(tmp_path, source="csv", path="wide.csv"))
    [note] = [n for n in ds.notes if "more fields" in n]
    assert "dropped 1 line with more fields than the header (2): line 12 has 4" in note
