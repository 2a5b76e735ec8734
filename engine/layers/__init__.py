"""Layer stacks: the registry of layer types, TF-free validation, Keras building, presets.

`validate` and the registry need no TensorFlow; `build` and `probability_model` import Keras
when called. Presets are in `engine.layers.presets` (experiment files in assets/presets).
"""

from engine.layers.build import build, keras_layer, probability_model, stack_layers
from engine.layers.registry import LAYERS, LayerInfo, ParamInfo, check_param, layer_info, layer_types
from engine.layers.validate import LossPlan, Report, Row, format_table, loss_plan, validate, validate_experiment

__all__ = [
    "LAYERS",
    "LayerInfo",
    "LossPlan",
    "ParamInfo",
    "Report",
    "Row",
    "build",
    "check_param",
    "format_table",
    "keras_layer",
    "layer_info",
    "layer_types",
    "loss_plan",
    "probability_model",
    "stack_layers",
    "validate",
    "validate_experiment",
]
