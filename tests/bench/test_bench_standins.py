"""bench.standins and bench.imdb_like: stand-in files in the real files' forms, loaded by the
engine with no settings beyond the path, and run by bench.seeds."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from bench import common, imdb_like, standins
from engine.data import load_dataset
from engine.experiment import DataConfig, Experiment, SplitConfig

ROOT = Path(__file__).resolve().parents[2]


def counts(ds) -> dict[str, int]:
    return dict(Counter(ds.class_names[int(y)] for s in ds.splits().values() for y in s.labels))


def test_sms_file_is_the_uci_form_and_loads_with_no_settings(tmp_path):
    path = standins.write_sms(tmp_path, ham=300, spam=60, seed=3)
    assert path.name == "SMSSpamCollection" and path.suffix == ""
    raw = path.read_bytes()
    assert b"\r" not in raw and not raw.startswith(b"label")
    lines = raw.decode("utf-8").splitlines()
    assert len(lines) == 360 and lines[0] == "ham\t" + standins.SMS_FIRST
    assert all(line.split("\t", 1)[0] in ("ham", "spam") and line.count("\t") == 1 for line in lines)
    ds = load_dataset(Experiment(data=DataConfig(source="csv", path=str(path), split=SplitConfig(validation=0.2, test=0.0, seed=1))))
    assert counts(ds) == {"ham": 300, "spam": 60}


def test_sms_real_size_and_hazards():
    lines = standins.sms_lines()
    assert Counter(label for label, _ in lines) == {"ham": standins.SMS_HAM, "spam": standins.SMS_SPAM}
    text = "\n".join(m for _, m in lines)
    assert "&lt;#&gt;" in text and "  " in text and any(m.startswith('"') for _, m in lines)
    assert len({m for _, m in lines}) < len(lines)  # repeats, as in the real file
    assert standins.sms_lines(seed=5) == standins.sms_lines(seed=5) != lines


def test_isot_pair_has_the_real_columns_and_loads_as_per_class(tmp_path):
    fake, true = standins.write_isot(tmp_path, fake=120, true=100, seed=2)
    assert fake.read_text(encoding="utf-8").splitlines()[0] == "title,text,subject,date"
    assert true.read_text(encoding="utf-8").splitlines()[0] == "title,text,subject,date"
    exp = Experiment(data=DataConfig(source="per-class", files={"fake": "Fake.csv", "true": "True.csv"}, text="title",
                                     split=SplitConfig(validation=0.25, test=0.0, seed=1)), base_dir=tmp_path)
    ds = load_dataset(exp)
    assert counts(ds) == {"fake": 120, "true": 100}
    fakes, trues = standins.isot_rows(fake=400, true=300, seed=0)
    assert all(t[1].split(" (Reuters) - ")[0].isupper() for t in trues) and all(t[3].endswith(" ") for t in trues)
    assert sum(any(m in f[0] for m in ("WATCH:", "BREAKING:", "!", "[VIDEO]", "(VIDEO)")) for f in fakes) > 100
    assert any(f[1] == " " for f in fakes)


def test_imdb_oracle_is_a_ceiling_below_one():
    acc = imdb_like.oracle_accuracy(400, seed=0)
    assert 0.8 < acc < 0.95


@pytest.mark.slow
def test_seeds_runs_sms_and_fake_news_ngram_on_the_standins(tmp_path):
    standins.write_isot(tmp_path, fake=200, true=200, seed=1)
    standins.write_sms(tmp_path, ham=200, spam=60, seed=1)
    proc = subprocess.run(
        [sys.executable, "-m", "bench.seeds", "--data-dir", str(tmp_path), "--only", "sms-ngram,fake-news-ngram", "--epochs", "1"],
        cwd=ROOT, env=common.python_env(), capture_output=True, text=True, timeout=180, check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "sms-ngram: val acc" in proc.stdout and "fake-news-ngram: val acc" in proc.stdout
    assert "SMSSpamCollection (UCI" in proc.stdout
