"""The end-to-end benchmark's parts: the stand-in corpus, the plain script, the limits."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from pathlib import Path

import pytest

from bench import bench_e2e, imdb_like, run

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_the_stand_in_corpus_has_imdb_statistics(tmp_path):
    texts, labels = imdb_like.reviews(600, seed=1)
    lengths = [len(t.split()) for t in texts]
    assert 140 <= statistics.median(lengths) <= 210  # the real train split: median 174
    assert 190 <= statistics.mean(lengths) <= 270  # mean 234
    assert labels.count("positive") == labels.count("negative") == 300
    assert any("<br /><br />" in t for t in texts)
    path = imdb_like.write_csv(tmp_path / "IMDB Dataset.csv", rows=50)
    assert path.read_text(encoding="utf-8").startswith("review,sentiment\n")


def test_kerminal_reads_the_stand_in_as_the_bench_configures_it(tmp_path):
    from engine.data import load_dataset
    from engine.experiment import loads

    csv_path = imdb_like.write_csv(tmp_path / "IMDB Dataset.csv", rows=200)
    exp = loads(bench_e2e.experiment_toml(csv_path, "lstm", 3), tmp_path)
    ds = load_dataset(exp)
    assert (len(ds.train), len(ds.validation)) == (160, 40)  # plain_script's 80/20
    assert ds.class_names == ["negative", "positive"]


@pytest.mark.slow
def test_the_plain_script_runs_and_reports(tmp_path):
    csv_path = imdb_like.write_csv(tmp_path / "r.csv", rows=120)
    out = subprocess.run(
        [sys.executable, "-m", "bench.plain_script", str(csv_path), "--model", "simplernn", "--epochs", "1", "--tokens", "500", "--length", "20"],
        cwd=ROOT, capture_output=True, text=True, check=True, timeout=240,
    ).stdout
    result = json.loads(out.strip().splitlines()[-1])
    assert result["train_samples"] == 96 and len(result["epoch_s"]) == 1 and result["total_s"] > 0


def test_modules_set_their_own_limits(tmp_path):
    assert run.module_limit("bench_app", quick=True) == 420
    assert run.module_limit("bench_e2e", quick=False) == 3000
    (tmp_path / "bench_x.py").write_text("QUICK_LIMIT_S = 12\n")
    assert run.module_limit("bench_x", quick=True, package_dir=tmp_path) == 12
    assert run.module_limit("bench_x", quick=False, package_dir=tmp_path) == run.FULL_TIMEOUT
    assert run.module_limit("bench_missing", quick=True, package_dir=tmp_path) == run.QUICK_TIMEOUT
