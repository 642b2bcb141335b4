"""Training engine: pure NumPy + standard library (see DESIGN.md, "Engine contract").

model (ModelSpec, LayerSpec, build_model), trainer (Trainer, TrainSettings), layers (re-exports
layer_base, dense, normalization, dropout), activations, losses, initializers, stats (per-layer
instruments), gradcheck (finite differences), and the optimiser toolbox: optimizers (re-exports
optimizer_base, adaptive), schedules, clipping, regularizers, early_stopping; from_config
builds a model and trainer from the app's plain config dict (docs/conventions.md).
"""
