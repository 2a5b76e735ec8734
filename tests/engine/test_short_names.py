"""Run names cut to a width keep what tells them apart (engine.runs.short_names): the parts
every name shares go first, then the name is cut from the right."""

from __future__ import annotations

from engine.runs import tell_apart

A, B = "imdb-dev-10k · Dense(32) · lr 1e-3", "imdb-dev-10k · Dense(32) · lr 3e-3"


def test_names_that_fit_stay_whole():
    assert tell_apart([A, B], 80) == [A, B]


def test_the_shared_parts_go_first_as_few_as_make_it_fit():
    assert tell_apart([A, B], 28) == ["… Dense(32) · lr 1e-3", "… Dense(32) · lr 3e-3"]
    assert tell_apart([A, B], 12) == ["… lr 1e-3", "… lr 3e-3"]


def test_a_shared_part_in_the_middle_is_one_gap():
    names = ["sms · Bidirectional(LSTM(64)) · lr 1e-3", "imdb · Bidirectional(LSTM(64)) · lr 3e-3"]
    assert tell_apart(names, 20) == ["sms … lr 1e-3", "imdb … lr 3e-3"]


def test_names_without_parts_lose_their_shared_words():
    names = ["my-experiment-baseline-lr-0.001", "my-experiment-baseline-lr-0.003"]
    assert tell_apart(names, 20) == ["… baseline-lr-0.001", "… baseline-lr-0.003"]


def test_then_a_name_is_cut_from_the_right():
    assert tell_apart([A], 20) == ["imdb-dev-10k · Dens…"]  # one name: nothing to tell apart
    assert tell_apart([A, A], 20) == ["imdb-dev-10k · Dens…"] * 2
    assert all(len(n) <= 6 for n in tell_apart([A, B], 6))


def test_parts_some_names_share_go_next_while_the_rest_tells_them_apart():
    """Two n-gram runs and an LSTM run: the bag and the layer are shared by two of the three,
    so the n-gram runs keep their learning rates, which alone tell them apart."""
    names = ["sample · 2-grams tf_idf · Dense(1) · lr 3e-4", "sample · 2-grams tf_idf · Dense(1) · lr 0.01", "sample · LSTM(8) · lr 0.01"]
    assert tell_apart(names, 24) == ["… Dense(1) · lr 3e-4", "… Dense(1) · lr 0.01", "… LSTM(8) · lr 0.01"]
    assert tell_apart(names, 12) == ["… lr 3e-4", "… Dense(1) …", "… LSTM(8) …"]  # "lr 0.01" alone would not tell them apart
