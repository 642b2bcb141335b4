"""Session configuration: the one source of truth for what a session trains, with its limits."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.data import BUILTIN, FEATURES, GENERATORS, MAX_SAMPLES, MIN_SAMPLES

MAX_HIDDEN_LAYERS = 10
MAX_UNITS = 256
MAX_PARAMETERS = 250_000
MIN_EPOCHS_PER_SECOND = 0.5
MAX_EPOCHS_PER_SECOND = 1000.0
MAX_STOP_EPOCH = 10_000_000
MAX_EVAL_EVERY = 1000

DatasetName = Literal[
    "circle",
    "xor",
    "gaussian",
    "spiral",
    "moons",
    "checkerboard",
    "blobs",
    "plane",
    "multi_gaussian",
    "sine",
    "iris",
    "wine",
    "breast_cancer",
    "diabetes",
    "csv",
]
FeatureName = Literal["x1", "x2", "x1sq", "x2sq", "x1x2", "sin_x1", "sin_x2", "cos_x1", "cos_x2"]
Activation = Literal[
    "linear", "relu", "leaky_relu", "tanh", "sigmoid", "elu", "gelu", "softplus", "swish"
]
Initializer = Literal["zeros", "uniform", "normal", "xavier", "he", "lecun", "orthogonal"]
OptimizerName = Literal["sgd", "rmsprop", "adagrad", "adam", "adamw"]
ScheduleKind = Literal["constant", "step", "exponential", "cosine", "plateau"]
Task = Literal["auto", "classification", "regression"]

# Page metadata in the JSON Schema: which datasets a generator draws, how the page groups them.
GENERATED: tuple[str, ...] = tuple(GENERATORS)
MULTICLASS: tuple[str, ...] = tuple(n for n, g in GENERATORS.items() if len(g.classes) > 1)
_CLASS_COUNTS = [k for n in MULTICLASS for k in GENERATORS[n].classes]
DATASET_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("2-D classification", tuple(n for n, g in GENERATORS.items() if g.task != "regression")),
    ("2-D regression", tuple(n for n, g in GENERATORS.items() if g.task == "regression")),
    ("Real data", tuple(BUILTIN)),
)
DECAYING: tuple[str, ...] = ("step", "exponential", "cosine", "plateau")


def applies_when(path: str, *values: object) -> dict[str, Any]:
    """Schema metadata: the setting matters only while the config value at `path` is in `values`."""
    return {"applies_when": {path: list(values)}}


def _optimizers(*names: OptimizerName) -> dict[str, Any]:
    return applies_when("training.optimizer", *names)


def _schedules(*kinds: ScheduleKind) -> dict[str, Any]:
    return applies_when("training.schedule.kind", *kinds)


_EARLY_STOPPING = applies_when("training.early_stopping.enabled", True)
_INSTRUMENTS = applies_when("training.instruments", True)


def _default_features() -> list[FeatureName]:
    return ["x1", "x2"]


class _Strict(BaseModel):
    """Base for config sections: unknown keys are errors, so a typo never passes silently."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class DatasetConfig(_Strict):
    """Which data to train on and how it is split."""

    name: Annotated[
        DatasetName,
        Field(json_schema_extra={"groups": DATASET_GROUPS, "generated": GENERATED}),
    ] = "spiral"
    samples: Annotated[
        int,
        Field(
            ge=MIN_SAMPLES,
            le=MAX_SAMPLES,
            json_schema_extra=applies_when("dataset.name", *GENERATED),
        ),
    ] = 400
    noise: Annotated[
        float, Field(ge=0.0, le=1.0, json_schema_extra=applies_when("dataset.name", *GENERATED))
    ] = 0.1
    val_fraction: Annotated[float, Field(ge=0.05, le=0.9)] = 0.3
    seed: Annotated[int, Field(ge=0, le=2**31 - 1)] = 1
    classes: (
        Annotated[
            int,
            Field(
                ge=min(_CLASS_COUNTS),
                le=max(_CLASS_COUNTS),
                json_schema_extra=applies_when("dataset.name", *MULTICLASS),
            ),
        ]
        | None
    ) = None
    features: Annotated[
        list[FeatureName],
        Field(
            min_length=1,
            max_length=len(FEATURES),
            json_schema_extra={"labels": {name: f.label for name, f in FEATURES.items()}},
        ),
    ] = Field(default_factory=_default_features)
    upload_id: Annotated[str, Field(max_length=64)] | None = None
    target: Annotated[str, Field(max_length=200)] | None = None
    task: Annotated[Task, Field(json_schema_extra=applies_when("dataset.name", "csv"))] = "auto"

    @model_validator(mode="after")
    def _check(self) -> DatasetConfig:
        if len(set(self.features)) != len(self.features):
            raise ValueError(f"features must not repeat, got {self.features}")
        if self.name == "csv" and not self.upload_id:
            raise ValueError("dataset 'csv' needs upload_id: the id returned by POST /api/datasets")
        return self


class LayerConfig(_Strict):
    """One hidden layer: Dense -> (batch norm) -> activation -> (dropout)."""

    units: Annotated[int, Field(ge=1, le=MAX_UNITS)] = 8
    activation: Activation = "tanh"
    batch_norm: bool = False
    dropout: Annotated[float, Field(ge=0.0, le=0.9)] = 0.0


class ModelConfig(_Strict):
    """The network between the inputs and the output layer (which follows from the data)."""

    layers: Annotated[list[LayerConfig], Field(max_length=MAX_HIDDEN_LAYERS)] = Field(
        default_factory=lambda: [LayerConfig(), LayerConfig()]
    )
    init: Initializer = "xavier"
    init_scale: Annotated[float, Field(gt=0.0, le=100.0)] = 1.0
    dtype: Literal["float32", "float64"] = "float32"


class ScheduleConfig(_Strict):
    """Learning-rate schedule over epochs; each knob's `applies_when` names the kinds it shapes."""

    kind: ScheduleKind = "constant"
    step_size: Annotated[int, Field(ge=1, le=100_000, json_schema_extra=_schedules("step"))] = 50
    gamma: Annotated[
        float, Field(gt=0.0, le=1.0, json_schema_extra=_schedules("step", "exponential"))
    ] = 0.5
    warmup_epochs: Annotated[int, Field(ge=0, le=100_000, description="every kind")] = 0
    period: Annotated[int, Field(ge=1, le=1_000_000, json_schema_extra=_schedules("cosine"))] = 500
    min_lr: Annotated[
        float,
        Field(
            ge=0.0,
            le=10.0,
            description="floor of every decaying kind",
            json_schema_extra=_schedules(*DECAYING),
        ),
    ] = 0.0
    patience: Annotated[int, Field(ge=1, le=10_000, json_schema_extra=_schedules("plateau"))] = 10
    factor: Annotated[float, Field(gt=0.0, lt=1.0, json_schema_extra=_schedules("plateau"))] = 0.5


class EarlyStoppingConfig(_Strict):
    """Stop when validation loss has not improved for `patience` epochs."""

    enabled: bool = False
    patience: Annotated[int, Field(ge=1, le=10_000, json_schema_extra=_EARLY_STOPPING)] = 20
    min_delta: Annotated[
        float, Field(ge=0.0, le=1e3, allow_inf_nan=False, json_schema_extra=_EARLY_STOPPING)
    ] = 0.0
    restore_best: Annotated[bool, Field(json_schema_extra=_EARLY_STOPPING)] = True


class TrainingConfig(_Strict):
    """Optimisation settings; all of these apply live without resetting the weights."""

    learning_rate: Annotated[float, Field(gt=0.0, le=10.0)] = 0.01
    batch_size: Annotated[int, Field(ge=1, le=4096)] = 10
    optimizer: OptimizerName = "sgd"
    momentum: Annotated[
        float,
        Field(ge=0.0, lt=1.0, json_schema_extra=_optimizers("sgd", "rmsprop")),
    ] = 0.9
    nesterov: Annotated[bool, Field(json_schema_extra=_optimizers("sgd"))] = False
    beta1: Annotated[
        float, Field(ge=0.0, lt=1.0, json_schema_extra=_optimizers("adam", "adamw"))
    ] = 0.9
    beta2: Annotated[
        float, Field(ge=0.0, lt=1.0, json_schema_extra=_optimizers("adam", "adamw"))
    ] = 0.999
    eps: Annotated[
        float,
        Field(gt=0.0, le=1.0, json_schema_extra=_optimizers("rmsprop", "adagrad", "adam", "adamw")),
    ] = 1e-8
    rho: Annotated[float, Field(ge=0.0, lt=1.0, json_schema_extra=_optimizers("rmsprop"))] = 0.9
    weight_decay: Annotated[
        float, Field(ge=0.0, le=1.0, json_schema_extra=_optimizers("adamw"))
    ] = 0.0
    l1: Annotated[float, Field(ge=0.0, le=10.0)] = 0.0
    l2: Annotated[float, Field(ge=0.0, le=10.0)] = 0.0
    clip_norm: Annotated[float, Field(gt=0.0, le=1e6)] | None = None
    clip_value: Annotated[float, Field(gt=0.0, le=1e6)] | None = None
    schedule: ScheduleConfig = Field(default_factory=ScheduleConfig)
    early_stopping: EarlyStoppingConfig = Field(default_factory=EarlyStoppingConfig)
    histogram_every: Annotated[int, Field(ge=0, le=10_000, json_schema_extra=_INSTRUMENTS)] = 10
    # How much each epoch measures; lowering either makes epochs of large networks cheaper.
    instruments: Annotated[
        bool,
        Field(description="per-layer statistics (gradient, weight, activation) every epoch"),
    ] = True
    eval_every: Annotated[
        int,
        Field(
            ge=1,
            le=MAX_EVAL_EVERY,
            description="validation figures every this many epochs (training figures every epoch)",
        ),
    ] = 1
    seed: Annotated[int, Field(ge=0, le=2**31 - 1)] = 0
    # Session pacing, enforced by the server session (the engine and the CLI ignore both):
    # slow motion for a room (None = full speed), and pause on reaching an epoch (None = never).
    epochs_per_second: (
        Annotated[float, Field(ge=MIN_EPOCHS_PER_SECOND, le=MAX_EPOCHS_PER_SECOND)] | None
    ) = None
    stop_at_epoch: Annotated[int, Field(ge=1, le=MAX_STOP_EPOCH)] | None = None


class SessionConfig(_Strict):
    """Everything a session trains: data, network, optimisation."""

    dataset: DatasetConfig = Field(default_factory=DatasetConfig)
    model: ModelConfig = Field(default_factory=ModelConfig)
    training: TrainingConfig = Field(default_factory=TrainingConfig)


def deep_merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """Return `base` with `patch` merged in: dicts merge key by key; lists and values replace."""
    merged = dict(base)
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def merge_config(current: SessionConfig, patch: dict[str, Any]) -> SessionConfig:
    """Apply a partial config to `current`; raises pydantic.ValidationError naming the bad field."""
    return SessionConfig.model_validate(deep_merge(current.model_dump(), patch))


def needs_rebuild(old: SessionConfig, new: SessionConfig) -> bool:
    """True when the data or the network's shape change, so the weights must be re-initialised."""
    if old.dataset != new.dataset:
        return True
    old_model, new_model = old.model.model_dump(), new.model.model_dump()
    for layer in old_model["layers"] + new_model["layers"]:
        layer.pop("dropout")  # dropout rates change live
    return old_model != new_model


NETWORK_EDIT_KEEPS = ("layers", "dtype")  # model fields an edit may change and keep the history


def is_network_edit(old: SessionConfig, new: SessionConfig) -> bool:
    """True when a rebuild changes only the network (layers, dtype): the history continues and
    the kept units keep their weights. A data, initialiser or init-scale change starts afresh."""
    if old.dataset != new.dataset:
        return False
    skip = set(NETWORK_EDIT_KEEPS)
    return all(
        getattr(old.model, key) == getattr(new.model, key)
        for key in type(old.model).model_fields
        if key not in skip
    )
