"""Time to accuracy: the course's training recipe vs the seeds' recipe, MLP and CNN on digits.

The seeds train with Adam(1e-3), batch 32 and a fixed 10 epochs (seeds 000, 001, 003; 004
uses batch 128). The course's recipe (labutils.train.fit): batch 128, Adam(3e-3), a new
shuffle order every epoch, early stopping on validation loss with the best weights restored.
Both train the same architecture on the same split; "time to target" is the training wall time
(validation included, as both evaluate every epoch) until validation accuracy first reaches
the target, "time of recipe" the whole run as each recipe prescribes it.
"""

# isort: off
import labutils  # noqa: F401  (TensorFlow process settings, before TF is imported)
import math
import time

import keras
# isort: on

from labutils import models as M
from labutils.data import load_digits, train_val_test_split
from labutils.train import fit

TARGET = 0.95
NOTES = (f"Digits (1,797 8x8 images; 70/15/15 split). Target: validation accuracy ≥ {TARGET}. "
         "Seed-style: Adam(1e-3), batch 32, 10 epochs, Keras' own `fit`. Course: Adam(3e-3), "
         "batch 128, `labutils.train.fit` with early stopping (patience 3, best weights "
         "restored, at most 60 epochs). A recipe that never reaches the target reports nan.")


class _Clock(keras.callbacks.Callback):
    """Training wall time at the end of each epoch, and that epoch's validation accuracy."""

    def __init__(self) -> None:
        super().__init__()
        self.t0, self.marks = 0.0, []

    def on_train_begin(self, logs=None) -> None:
        self.t0 = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None) -> None:
        self.marks.append((time.perf_counter() - self.t0, float(logs["val_accuracy"])))


def _data(kind: str):
    x, y = load_digits(as_images=kind == "cnn")
    if kind == "cnn":
        x = x[..., None]
    return train_val_test_split(x, y, val=0.15, test=0.15, seed=0)


def _model(kind: str, lr: float, seed: int):
    if kind == "mlp":
        return M.build_mlp(64, (64,), n_outputs=10, learning_rate=lr, seed=seed)
    return M.build_cnn((8, 8, 1), 10, filters=(16, 32), learning_rate=lr, seed=seed)


def _case(kind: str, recipe: str, counter: list[int]):
    split = _data(kind)

    def measure() -> dict:
        counter[0] += 1
        seed = counter[0]  # a new seed each round: the spread covers initialisation too
        clock = _Clock()
        if recipe == "seed-style":
            model = _model(kind, 1e-3, seed)
            model.fit(split.x_train, split.y_train, epochs=10, batch_size=32, verbose=0,
                      validation_data=(split.x_val, split.y_val), callbacks=[clock])
        else:
            model = _model(kind, 3e-3, seed)
            fit(model, split.x_train, split.y_train, validation_data=(split.x_val, split.y_val),
                epochs=60, batch_size=128, early_stopping_patience=3, seed=seed,
                verbose_progress=False, callbacks=[clock])
        hit = next((t for t, acc in clock.marks if acc >= TARGET), math.nan)
        test = model.evaluate(split.x_test, split.y_test, verbose=0, return_dict=True)
        return {"time to target": (hit, "s"), "time of recipe": (clock.marks[-1][0], "s"),
                "epochs run": (len(clock.marks), "epochs"),
                "test accuracy": (test["accuracy"], "accuracy")}
    return measure


def run(h) -> None:
    for kind in ("mlp", "cnn"):
        counter = [0]
        h.compare(f"digits {kind}", {
            "seed-style recipe": _case(kind, "seed-style", counter),
            "course recipe": _case(kind, "course", counter),
        }, baseline="seed-style recipe", repeats=3)
