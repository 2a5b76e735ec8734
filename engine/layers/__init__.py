"""Layer stacks: the registry of layer types, TF-free validation, Keras building, presets.

`validate` and the registry need no TensorFlow; `build` and `probability_model` import Keras
when called. Presets are in `engine.layers.presets` (experiment files in assets/presets);
the vectorizer (the stack's first layers) in `engine.vectorize`.
"""

from engine.layers.build import build, keras_layer, make_layer, probability_model, stack_calls, stack_layers
from engine.layers.presets import default_experiment, get_preset, list_presets
from engine.layers.registry import (
    LAYERS,
    KerasCall,
    LayerInfo,
    ParamInfo,
    check_param,
    layer_call,
    layer_info,
    layer_types,
)
from engine.layers.report import LossPlan, Report, Row, format_table
from engine.layers.validate import loss_plan, validate, validate_experiment
from engine.vectorize import make_vectorizer, uses_nb

__all__ = [
    "LAYERS",
    "KerasCall",
    "LayerInfo",
    "LossPlan",
    "ParamInfo",
    "Report",
    "Row",
    "build",
    "check_param",
    "default_experiment",
    "format_table",
    "get_preset",
    "import_keras",
    "keras_layer",
    "layer_call",
    "layer_info",
    "layer_types",
    "list_presets",
    "loss_plan",
    "make_layer",
    "make_vectorizer",
    "uses_nb",
    "probability_model",
    "stack_calls",
    "stack_layers",
    "validate",
    "validate_experiment",
]


def import_keras() -> None:
    """Import TensorFlow, Keras and kerminal's own Keras layers (seconds; the app does it in
    the background so that the first training or prediction starts at once)."""
    import keras  # noqa: F401
    import tensorflow  # noqa: F401

    import engine.keras_layers  # noqa: F401
