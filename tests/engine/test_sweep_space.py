"""A sweep's search space (`--param PATH=SPEC`): parsing and every refusal, checked against
the declarations before anything starts. TF-free and fast."""

from __future__ import annotations

import pytest

from engine.config import LayerSpec
from engine.experiment import Experiment
from engine.sweeps import space as S
from engine.sweeps.space import SweepError


def exp() -> Experiment:
    e = Experiment(name="tiny")
    e.layers = [LayerSpec("Embedding", {"output_dim": 8}), LayerSpec("GlobalAveragePooling1D", {}), LayerSpec("Dense", {"units": 1, "activation": "sigmoid"})]
    return e


def test_a_list_of_ints_a_log_range_and_steps():
    e = exp()
    units = S.parse("layers.1.output_dim=8,16,32", e)
    assert units.type == "int" and units.choices == (8, 16, 32)
    lr = S.parse("compile.learning_rate=1e-4..1e-2:log", e)
    assert (lr.type, lr.low, lr.high, lr.log) == ("float", 1e-4, 1e-2, True)
    batch = S.parse("fit.batch_size=16..64:step=16", e)
    assert batch.grid() == [16, 32, 48, 64]
    drop = S.parse("compile.optimizer=adam,rmsprop", e)
    assert drop.choices == ("adam", "rmsprop")
    rate = S.parse("compile.learning_rate=0.1..0.3:step=0.1", e)
    assert rate.grid() == [0.1, 0.2, 0.3]


@pytest.mark.parametrize("path", ["data.source=sample,reber", "data.split.validation=0.1,0.3", "fit.monitor=val_loss,loss"])
def test_what_trials_must_share_to_be_compared_is_not_swept(path):
    # Trials scored on other data, another split or another metric cannot be ranked.
    with pytest.raises(SweepError, match="must share that setting"):
        S.parse(path, exp())
    assert path.split("=")[0] not in {s.path for s in S.sweepable(exp())}


def test_round_trip_through_json():
    p = S.parse("compile.learning_rate=1e-4..1e-2:log", exp())
    assert S.Param.from_dict(p.to_dict()) == p


def test_an_unknown_path_lists_the_sweepable_ones_and_the_closest():
    with pytest.raises(SweepError) as caught:
        S.parse("compile.learning_rat=1e-3,1e-2", exp())
    assert "compile.learning_rate" in caught.value.fix and "Did you mean" in caught.value.fix
    assert "layers.1.output_dim" in caught.value.fix


def test_a_layer_path_must_exist_for_that_layer():
    with pytest.raises(SweepError, match="no layer 7"):
        S.parse("layers.7.units=1,2", exp())
    with pytest.raises(SweepError) as caught:
        S.parse("layers.1.units=8,16", exp())  # an Embedding has output_dim, not units
    assert "layers.3.units" in caught.value.fix


def test_bad_ranges_are_refused():
    e = exp()
    with pytest.raises(SweepError, match="above the high end"):
        S.parse("compile.learning_rate=1e-2..1e-4", e)
    with pytest.raises(SweepError, match="cannot touch 0"):
        S.parse("fit.early_stopping.patience=0..3:log", e)
    with pytest.raises(SweepError, match="outside the declared range"):
        S.parse("compile.learning_rate=1e-3..20", e)
    with pytest.raises(SweepError, match="not allowed"):
        S.parse("compile.optimizer=adam,adamx", e)
    with pytest.raises(SweepError, match="whole number"):
        S.parse("fit.batch_size=16..64.5", e)
    with pytest.raises(SweepError, match="step must be above 0"):
        S.parse("fit.batch_size=16..64:step=0", e)
    with pytest.raises(SweepError, match="PATH=SPEC"):
        S.parse("fit.batch_size", e)


def test_a_grid_over_the_limit_needs_yes():
    e = exp()
    texts = ["fit.batch_size=1..200", "layers.1.output_dim=1..100"]
    with pytest.raises(SweepError, match="20,000 trials"):
        S.space(texts, e, sampler="grid")
    assert S.space(texts, e, sampler="grid", yes=True).grid_size() == 20_000
    with pytest.raises(SweepError, match="no grid"):
        S.space(["compile.learning_rate=1e-4..1e-2:log"], e, sampler="grid")


def test_apply_sets_values_through_spec():
    e = exp()
    out = S.apply(e, {"layers.1.output_dim": 16, "compile.learning_rate": 0.003})
    assert out.layers[0].params["output_dim"] == 16 and out.compile.learning_rate == 0.003
    assert e.layers[0].params["output_dim"] == 8  # the base is left alone
