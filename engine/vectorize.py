"""Text -> numbers, inside the model.

Three kinds, all Keras layers so that a saved model takes raw strings:
- words: Keras `TextVectorization` (fitted on the training split only), then
  `FixLength`, which pads and truncates at the front ("pre", as the tutorials' tokenizer did)
  or at the back ("post");
- chars: one symbol per step, one-hot over an alphabet at a fixed length (seed 002's grammar
  strings), by `TextVectorization(split="character")`, `FixLength` and `OneHot`;
- ngrams: a bag of word n-grams, `TextVectorization(ngrams=N, output_mode="tf_idf" |
  "multi_hot" | "count")` padded to max_tokens, then `ToVector`: one vector of max_tokens
  floats per text, not a sequence (Dense and Dropout layers follow it, never an Embedding or
  a recurrent layer). "nb" is the multi-hot bag with each column scaled by its naive-Bayes
  log-count ratio (`NBScale`, fitted on the labelled training split; two classes only).

`input_spec` describes what the first model layer receives without importing TensorFlow,
so validation answers before TensorFlow has loaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Sequence

from engine.errors import DataError
from engine.experiment import VectorizeConfig

if TYPE_CHECKING:  # pragma: no cover
    import keras

# TextVectorization reserves id 0 for padding and id 1 for out-of-vocabulary tokens.
PAD_ID, OOV_ID, FIRST_ID = 0, 1, 2


@dataclass(frozen=True)
class InputSpec:
    """What the vectorizer hands the first layer of the stack.

    words: shape (length,), integer ids below `vocab_size`.
    chars: shape (length, features), one-hot floats over the alphabet.
    ngrams: shape (length,) with length = vocab_size = max_tokens, one float per n-gram.
    """

    kind: str
    length: int
    vocab_size: int = 0
    features: int = 0

    @property
    def shape(self) -> tuple[int, ...]:
        return (self.length, self.features) if self.kind == "chars" else (self.length,)


@dataclass(frozen=True)
class VectorizerState:
    """What adapting learned, enough to make the same vectorizer without adapting again (the
    prepared-data cache keeps it): the vocabulary as TextVectorization.get_vocabulary() lists
    it (for chars, the alphabet's symbols), the IDF weights of a tf_idf bag of n-grams and
    the log-count ratios of an nb one."""

    vocabulary: list[str]
    idf: Any = None  # np.ndarray of float32, one weight per vocabulary entry
    nb: Any = None  # np.ndarray of float32, one ratio per vocabulary entry (pads: 0)


def vectorizer_state(config: VectorizeConfig, layers: Sequence[keras.layers.Layer]) -> VectorizerState:
    """The state of the vectorizer layers make_vectorizer made (the first is TextVectorization;
    for nb, the one named "nb_scale" must be among them)."""
    import numpy as np

    vocab = [str(t) for t in layers[0].get_vocabulary()]
    if config.kind == "chars":
        return VectorizerState(vocab[FIRST_ID:])
    idf = nb = None
    if config.kind == "ngrams" and config.output_mode == "tf_idf":
        idf = np.asarray(layers[0]._lookup_layer.idf_weights, dtype=np.float32)  # no public getter in Keras 3.15
    if config.kind == "ngrams" and config.output_mode == "nb":
        nb = np.array(next(layer for layer in layers if layer.name == NB_LAYER).ratio, dtype=np.float32)
    return VectorizerState(vocab, idf, nb)


def uses_nb(config: VectorizeConfig) -> bool:
    return config.kind == "ngrams" and config.output_mode == "nb"


def check_classes(config: VectorizeConfig, classes: Sequence[str], labels: Any = None) -> None:
    """DataError unless an nb bag has what its ratios need: exactly two classes, and (given the
    training labels) rows of both. TF-free: `kerminal inspect` and the Trainer call it before
    anything is built."""
    if not uses_nb(config):
        return
    if len(classes) != 2:
        raise DataError(
            f'vectorize.output_mode = "nb" weighs each n-gram by how much likelier it is in one class than in the other, so it needs exactly two classes; '
            f"the data has {len(classes)} classes ({', '.join(map(str, classes))}).",
            'Use vectorize.output_mode = "multi_hot" (or tf_idf) for more than two classes.',
        )
    if labels is not None:
        import numpy as np

        present = np.unique(np.asarray(labels))
        if len(present) < 2:
            only = classes[int(present[0])] if len(present) else "none"
            missing = [c for i, c in enumerate(classes) if i not in present]
            raise DataError(
                f"The nb vectorizer's ratios need training rows of both classes; the training split holds only {only!r} (no {', '.join(map(repr, missing))}).",
                'Add rows of the other class, change data.split or data.limit, or use vectorize.output_mode = "multi_hot".',
            )


def alphabet_of(config: VectorizeConfig, texts: Sequence[str] = ()) -> str:
    """The chars alphabet: the configured one, else the sorted symbols of the texts. NUL is
    left out (it reads as an unknown symbol): NumPy strips it, so Keras would take it for
    the padding token and refuse the vocabulary."""
    if config.alphabet:
        return config.alphabet.replace("\x00", "")
    if hasattr(texts, "alphabet"):  # streamed texts (engine.data.stream): one pass, never joined
        return "".join(sorted(texts.alphabet() - {"\x00"}))
    return "".join(sorted(set("".join(texts)) - {"\x00"}))


def input_spec(config: VectorizeConfig, train_texts: Sequence[str] = ()) -> InputSpec:
    if config.kind == "chars":
        return InputSpec("chars", config.length, features=len(alphabet_of(config, train_texts)))
    if config.kind == "ngrams":
        return InputSpec("ngrams", config.max_tokens, vocab_size=config.max_tokens)
    return InputSpec("words", config.length, vocab_size=config.max_tokens)


def make_vectorizer(
    config: VectorizeConfig, train_texts: Sequence[str], state: VectorizerState | None = None, labels: Any = None, classes: Sequence[str] = ()
) -> list[keras.layers.Layer]:
    """Layers that turn a (batch, 1) string tensor into the stack's input, fitted on train;
    with `state` (what an earlier adapt on the same texts and settings learned) made from
    it without adapting. `labels` (0..len(classes)-1, parallel to the texts) and `classes`:
    what an nb bag's ratios are counted from (label 1, the second class, is the positive one,
    as a sigmoid head's output is its probability)."""
    import keras

    from engine import keras_layers

    if config.kind == "chars":
        alphabet = "".join(state.vocabulary) if state is not None else alphabet_of(config, train_texts)
        if not alphabet:
            raise DataError("The chars vectorizer has no alphabet: the training texts are empty.", "Set vectorize.alphabet, or load data first.")
        tv = keras.layers.TextVectorization(
            standardize=None, split="character", vocabulary=list(alphabet), name="vectorize"
        )
        return [
            tv,
            keras_layers.FixLength(config.length, config.padding, config.truncation, name="fix_length"),
            keras_layers.OneHot(len(alphabet), offset=FIRST_ID, name="one_hot"),
        ]
    if not len(train_texts):
        raise DataError(f"The {config.kind} vectorizer has nothing to learn from: the training split is empty.", "Load a dataset with training rows.")
    if config.kind == "ngrams":
        if state is not None:
            if uses_nb(config) and state.nb is None:  # a plain ValueError: the cache's state is refused, adapted afresh
                raise ValueError("the vectorizer's state holds no nb ratios")
            extra = {"idf_weights": state.idf} if config.output_mode == "tf_idf" else {}
            tv = keras.layers.TextVectorization(**_ngram_args(config), vocabulary=list(state.vocabulary), **extra)
            return [tv, keras_layers.ToVector(config.max_tokens, name="to_vector"), *_nb_layer(config, state.nb)]
        if uses_nb(config):
            if labels is None:
                raise DataError("The nb vectorizer needs the training labels to count each n-gram's classes.", "Pass the training split's labels (engine.layers.build does).")
            import numpy as np

            check_classes(config, classes or [str(i) for i in range(max(2, int(np.max(labels)) + 1))], labels)
        return _ngram_vectorizer(config, train_texts, labels)
    # kerminal's standardization: Keras's default, but no token may hold a line separator
    # (those break the saved vocabulary file; see keras_layers.standardize_text).
    if state is not None:
        tv = keras.layers.TextVectorization(max_tokens=config.max_tokens, standardize=keras_layers.standardize_text, vocabulary=list(state.vocabulary), name="vectorize")
        return [tv, keras_layers.FixLength(config.length, config.padding, config.truncation, name="fix_length")]
    tv = keras.layers.TextVectorization(max_tokens=config.max_tokens, standardize=keras_layers.standardize_text, name="vectorize")
    # Adapted from a batched tf.data pipeline: given the list itself, Keras's data adapter
    # held about 500 MB more at the peak for 20,000 IMDB-sized reviews (a tenth of that here).
    _adapted(train_texts, tv)
    if tv.vocabulary_size() <= FIRST_ID:  # an empty vocabulary cannot be saved and loaded back
        raise DataError(
            f"The words vectorizer found no words in the {len(train_texts)} training texts (they hold only punctuation, spaces or control characters).",
            "Check data.text names the column that holds the text, or use vectorize.kind = \"chars\".",
        )
    return [tv, keras_layers.FixLength(config.length, config.padding, config.truncation, name="fix_length")]


# A streamed n-gram vectorizer adapts on the first this many training texts: its tables grow
# with every distinct n-gram, so a full pass over millions of texts would not fit (the run's
# pipeline line names the sample).
NGRAM_ADAPT_ROWS = 200_000

# Filler entries that make a short n-gram vocabulary max_tokens long. The standardization strips
# brackets, so no text ever produces one of them: their columns stay zero.
UNUSED_TOKEN = "[unused {}]"


def _adapted(texts: Sequence[str], tv: keras.layers.Layer, limit: int = 0) -> None:
    import numpy as np
    import tensorflow as tf

    if hasattr(texts, "tf_dataset"):  # streamed texts (engine.data.stream): adapted on the stream
        tv.adapt(texts.tf_dataset(1024, limit))
        return
    tv.adapt(tf.data.Dataset.from_tensor_slices(np.asarray(list(texts), dtype=object)).batch(1024))


NB_LAYER = "nb_scale"
NB_ALPHA = 1.0  # the smoothing count of Wang & Manning (2012)


def _ngram_args(config: VectorizeConfig) -> dict[str, Any]:
    """TextVectorization's arguments for an n-gram bag (nb counts presence: multi_hot)."""
    from engine import keras_layers

    mode = "multi_hot" if uses_nb(config) else config.output_mode
    return {"max_tokens": config.max_tokens, "standardize": keras_layers.standardize_text, "ngrams": config.ngrams, "output_mode": mode, "name": "vectorize"}


def _nb_layer(config: VectorizeConfig, ratio: Any) -> list[keras.layers.Layer]:
    from engine import keras_layers

    return [keras_layers.NBScale(config.max_tokens, ratio, name=NB_LAYER)] if uses_nb(config) else []


def _ngram_vectorizer(config: VectorizeConfig, train_texts: Sequence[str], labels: Any = None) -> list[keras.layers.Layer]:
    """TextVectorization(ngrams, output_mode), exactly max_tokens wide, then `ToVector` (and
    for nb `NBScale`, its ratios counted here).

    Keras's own `pad_to_max_tokens=True` does not survive saving with tf_idf when the vocabulary
    is short (the saved IDF weights are padded, the vocabulary is not, and loading refuses), so
    a short vocabulary is padded with UNUSED_TOKEN entries (IDF weight 0, nb ratio 0) instead."""
    import keras
    import numpy as np

    from engine import keras_layers

    common = _ngram_args(config)
    tv = keras.layers.TextVectorization(**common)
    _adapted(train_texts, tv, NGRAM_ADAPT_ROWS)
    vocab = tv.get_vocabulary()  # the out-of-vocabulary entry "[UNK]" first
    if len(vocab) <= 1:
        raise DataError(
            f"The ngrams vectorizer found no words in the {len(train_texts)} training texts (they hold only punctuation, spaces or control characters).",
            "Check data.text names the column that holds the text.",
        )
    if len(vocab) < config.max_tokens:
        pads = [UNUSED_TOKEN.format(i) for i in range(config.max_tokens - len(vocab))]
        extra: dict = {}
        if config.output_mode == "tf_idf":
            idf = np.asarray(tv._lookup_layer.idf_weights)  # no public getter in Keras 3.15
            extra["idf_weights"] = np.concatenate([idf, np.zeros(len(pads), idf.dtype)])
        tv = keras.layers.TextVectorization(**common, vocabulary=[*vocab, *pads], **extra)
    ratio = nb_ratios(config, tv.get_vocabulary(), train_texts, labels, len(vocab)) if uses_nb(config) else None
    return [tv, keras_layers.ToVector(config.max_tokens, name="to_vector"), *_nb_layer(config, ratio)]


def nb_ratios(config: VectorizeConfig, vocabulary: list[str], texts: Sequence[str], labels: Any, real: int, batch: int = 1024) -> Any:
    """r = log((p/|p|1) / (q/|q|1)) per column of the multi-hot bag, with p = alpha + the
    presence counts over the texts of label 1 and q the same over label 0, on the first `real`
    columns (the vocabulary; the pads after it get 0). One pass over the texts (streamed
    ones are read again, a chunk at a time), their bags sparse: memory holds two count
    vectors and one batch, never a texts x max_tokens matrix."""
    import keras
    import numpy as np
    import tensorflow as tf

    width = len(vocabulary)
    args = {**_ngram_args(config), "name": "nb_count"}
    args.pop("max_tokens")
    counter = keras.layers.TextVectorization(**args, vocabulary=vocabulary, sparse=True)
    labels = np.asarray(labels, dtype=np.int64)
    if hasattr(texts, "tf_dataset"):  # streamed texts, in the order of their labels
        batches = texts.tf_dataset(batch)
    else:
        batches = tf.data.Dataset.from_tensor_slices(np.asarray(list(texts), dtype=object)).batch(batch)
    count = tf.function(lambda t: counter(t))
    counts = np.zeros((2, width), np.float64)
    start = 0
    for texts_batch in batches:
        bag = count(texts_batch)
        rows, cols = bag.indices.numpy().T
        pos = labels[start + rows] == 1
        counts[1] += np.bincount(cols[pos], minlength=width)
        counts[0] += np.bincount(cols[~pos], minlength=width)
        start += int(texts_batch.shape[0])
    p, q = NB_ALPHA + counts[1, :real], NB_ALPHA + counts[0, :real]
    ratio = np.zeros(width, np.float32)
    ratio[:real] = np.log((p / p.sum()) / (q / q.sum()))
    return ratio
