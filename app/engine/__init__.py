"""Training engine: pure NumPy + standard library (see DESIGN.md, "Engine contract").

model (ModelSpec, LayerSpec, build_model), trainer (Trainer, TrainSettings), layers, activations,
losses, initializers, stats (per-layer instruments), gradcheck (finite differences), and the
optimiser toolbox: optimizers, schedules, clipping, regularizers, early_stopping.
"""
