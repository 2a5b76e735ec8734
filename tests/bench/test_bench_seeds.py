"""bench.seeds: finds the tutorials' files in their real layouts, runs what it finds,
reports the rest as skipped (never faked)."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bench import common, seeds

ROOT = Path(__file__).resolve().parents[2]
GOOD = ["great", "wonderful", "moving", "brilliant", "superb", "loved"]
BAD = ["awful", "boring", "terrible", "dull", "worst", "hated"]
FILLER = ["the", "movie", "plot", "actors", "was", "and", "film", "story", "really"]


def review(rng: random.Random, positive: bool) -> str:
    words = [rng.choice(FILLER) for _ in range(rng.randint(6, 14))]
    for _ in range(2):
        words.insert(rng.randrange(len(words)), rng.choice(GOOD if positive else BAD))
    return " ".join(words) + ".<br /><br />" + rng.choice(FILLER).capitalize() + "."


def write_acl(root: Path, rng: random.Random, per_class: int) -> None:
    """aclImdb/{train,test}/{neg,pos}/<id>_<stars>.txt, plus unsup/ and stray files."""
    for split in ("train", "test"):
        for cls, positive in (("neg", False), ("pos", True)):
            folder = root / "aclImdb" / split / cls
            folder.mkdir(parents=True)
            for i in range(per_class):
                stars = rng.randint(7, 10) if positive else rng.randint(1, 4)
                (folder / f"{i}_{stars}.txt").write_text(review(rng, positive), encoding="utf-8")
        (root / "aclImdb" / split / "urls_pos.txt").write_text("http://www.imdb.com/title/tt0000001/usercomments\n")
    (root / "aclImdb" / "train" / "unsup").mkdir()
    (root / "aclImdb" / "train" / "unsup" / "0_0.txt").write_text(review(rng, True))
    (root / "aclImdb" / "imdb.vocab").write_text("\n".join(GOOD + BAD + FILLER))


def write_review_csv(root: Path, rng: random.Random, n: int) -> None:
    rows = [(review(rng, i % 2 == 0), "positive" if i % 2 == 0 else "negative") for i in range(n)]
    pd.DataFrame(rows, columns=["review", "sentiment"]).to_csv(root / "IMDB Dataset.csv", index=False)


def write_keras_imdb(root: Path, rng: random.Random, n: int) -> None:
    """Keras's imdb.npz (object arrays of word-rank lists) + imdb_word_index.json."""
    vocab = GOOD + BAD + FILLER
    index = {w: i for i, w in enumerate(vocab, 1)}

    def seqs(count: int) -> tuple[np.ndarray, np.ndarray]:
        xs = np.empty(count, dtype=object)
        ys = np.zeros(count, dtype=np.int64)
        for i in range(count):
            ys[i] = i % 2
            xs[i] = [index[w] for w in review(rng, bool(ys[i])).split(".")[0].split()]
        return xs, ys

    x_train, y_train = seqs(n)
    x_test, y_test = seqs(n)
    np.savez(root / "imdb.npz", x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    (root / "imdb_word_index.json").write_text(json.dumps(index))


def write_fake_news(root: Path, rng: random.Random, n: int) -> None:
    cols = ["title", "text", "subject", "date"]
    fake = [(f"BREAKING: {rng.choice(BAD)} {rng.choice(FILLER)} EXPOSED", "body", "News", "December 31, 2017") for _ in range(n)]
    true = [(f"Senate {rng.choice(FILLER)} vote on {rng.choice(FILLER)} bill", "WASHINGTON (Reuters) - body", "politicsNews", "December 31, 2017 ") for _ in range(n)]
    pd.DataFrame(fake, columns=cols).to_csv(root / "Fake.csv", index=False)
    pd.DataFrame(true, columns=cols).to_csv(root / "True.csv", index=False)


def test_find_forms_in_real_layouts(tmp_path):
    rng = random.Random(0)
    write_acl(tmp_path, rng, 3)
    write_review_csv(tmp_path, rng, 6)
    (tmp_path / "imdb.npz").write_bytes(b"")  # the word index is missing: named, not used
    (tmp_path / "Fake.csv").write_text("title\nx\n")
    forms, problems = seeds.find_forms(tmp_path)
    assert set(forms) == {"acl", "csv"}
    assert forms["csv"].path.name == "IMDB Dataset.csv"
    assert problems == {"npz": "imdb.npz found but imdb_word_index.json is missing", "fake-true": "Fake.csv found but True.csv is missing"}


def test_missing_data_dir_is_a_clear_error(tmp_path, capsys):
    assert seeds.main(["--data-dir", str(tmp_path / "nope")]) == 2
    assert "no folder at" in capsys.readouterr().err


@pytest.mark.slow
def test_quick_run_reports_found_and_skips_absent(tmp_path):
    """aclImdb/, the review CSV and imdb.npz present, Fake/True absent: every IMDB workflow
    and Reber run (tiny: --limit/--epochs), the fake-news ones are skipped."""
    rng = random.Random(1)
    data = tmp_path / "data"
    data.mkdir()
    write_acl(data, rng, 24)
    write_review_csv(data, rng, 60)
    write_keras_imdb(data, rng, 40)
    out = tmp_path / "seeds.json"
    proc = subprocess.run(
        [sys.executable, "-m", "bench.seeds", "--data-dir", str(data), "--quick", "--limit", "40", "--epochs", "1", "--json", str(out)],
        cwd=ROOT, env=common.python_env(), capture_output=True, text=True, timeout=240,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "QUICK MODE" in proc.stdout
    result = {w["workflow"]: w for w in json.loads(out.read_text())["workflows"]}
    assert set(result) == {wf.name for wf in seeds.WORKFLOWS}
    for name in ("seed000-simplernn", "seed000-lstm", "fake-news-ngram"):
        assert result[name]["status"] == "skipped" and "Fake.csv/True.csv" in result[name]["reason"]
        assert result[name]["val_accuracy"] is None
    assert result["sms-ngram"]["status"] == "skipped" and "SMSSpamCollection" in result["sms-ngram"]["reason"]
    ran = [w for w in result.values() if w["status"] == "ok"]
    assert len(ran) == len(seeds.WORKFLOWS) - 4
    for w in ran:
        assert 0.0 <= w["val_accuracy"] <= 1.0 and w["epochs"] == 1 and w["train_rows"] > 0
    assert result["seed001-lstm"]["data"].startswith("imdb.npz")
    assert result["seed003-simplernn"]["data"].startswith("IMDB Dataset.csv")
    assert result["seed004-lstm"]["data"] == "aclImdb/ folder"
    assert result["seed002-reber"]["data"].endswith("generator, 80 strings")
    assert result["seed001-simplernn"]["reported"] == 0.86
    assert "skipped" in proc.stdout and "0.8600" in proc.stdout


@pytest.mark.slow
def test_fake_news_pair_runs(tmp_path):
    rng = random.Random(2)
    write_fake_news(tmp_path, rng, 40)
    proc = subprocess.run(
        [sys.executable, "-m", "bench.seeds", "--data-dir", str(tmp_path), "--only", "seed000-simplernn,seed004-lstm", "--limit", "30", "--epochs", "1"],
        cwd=ROOT, env=common.python_env(), capture_output=True, text=True, timeout=180,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "CUT RUN" in proc.stdout
    assert "seed000-simplernn: val acc" in proc.stdout and "Fake.csv + True.csv" in proc.stdout
    assert "seed004-lstm: skipped: no aclImdb/ folder or IMDB CSV" in proc.stdout
