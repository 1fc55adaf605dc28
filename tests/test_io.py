"""labutils.io: .keras round trips, atomic no-overwrite saves, safe loading."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from labutils import io as lio
from labutils import models as M


@pytest.fixture(scope="module")
def trained_mlp():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype("float32")
    y = (x[:, 0] > 0).astype("int64")
    model = M.build_mlp(4, (8,), n_outputs=2, seed=0)
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)  # builds the optimizer state too
    return model, x


def test_round_trip_gives_identical_predictions(trained_mlp, tmp_path):
    model, x = trained_mlp
    path = lio.save_model(model, tmp_path / "sub" / "mlp.keras")  # parent folder is created
    assert path.is_file()
    assert [p.name for p in path.parent.iterdir()] == ["mlp.keras"]  # no temporary file left
    loaded = lio.load_model(path)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert loaded.loss.get_config()["from_logits"] is True
    assert loaded.count_params() == model.count_params()


def test_transformer_with_custom_layer_round_trips(tmp_path):
    model = M.build_transformer_classifier(12, 6, 2, d_model=8, num_heads=2, ff_dim=16,
                                           mask_padding=True, seed=0)
    x = np.random.default_rng(0).integers(0, 12, size=(4, 6))
    loaded = lio.load_model(lio.save_model(model, tmp_path / "tiny_transformer.keras"),
                            compile=False)
    assert isinstance(loaded.get_layer("embedding"), M.TokenAndPositionEmbedding)
    assert loaded.get_layer("embedding").mask_zero is True
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_refuses_legacy_and_unknown_suffixes(trained_mlp, tmp_path):
    model, _ = trained_mlp
    with pytest.raises(ValueError, match=r"legacy HDF5.*model\.export"):
        lio.save_model(model, tmp_path / "model.h5")
    with pytest.raises(ValueError, match="must end in '.keras'"):
        lio.save_model(model, tmp_path / "model.pkl")
    with pytest.raises(ValueError, match="legacy HDF5"):
        lio.load_model(tmp_path / "model.h5")
    assert list(tmp_path.iterdir()) == []


def test_no_overwrite_unless_asked(trained_mlp, tmp_path):
    model, x = trained_mlp
    path = tmp_path / "m.keras"
    path.write_bytes(b"precious")
    with pytest.raises(FileExistsError, match="overwrite=True"):
        lio.save_model(model, path)
    assert path.read_bytes() == b"precious"  # untouched
    lio.save_model(model, path, overwrite=True)
    np.testing.assert_array_equal(lio.load_model(path).predict(x, verbose=0),
                                  model.predict(x, verbose=0))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.keras"]  # no temporary file
    folder = tmp_path / "dir.keras"
    folder.mkdir()
    with pytest.raises(ValueError, match="is a folder"):
        lio.save_model(model, folder, overwrite=True)


def test_lambda_layer_is_refused(tmp_path):
    inputs = keras.Input(shape=(3,))
    model = keras.Model(inputs, keras.layers.Lambda(lambda t: t * 2.0)(inputs))
    path = lio.save_model(model, tmp_path / "with_lambda.keras")
    with pytest.raises(ValueError, match="arbitrary code execution") as info:
        lio.load_model(path)
    message = str(info.value)
    assert "with_lambda.keras" in message
    assert "register_keras_serializable" in message and "safe_mode=False" in message


def test_missing_and_corrupt_files(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"nothere\.keras.*save_model"):
        lio.load_model(tmp_path / "nothere.keras")
    bad = tmp_path / "bad.keras"
    bad.write_bytes(b"not a zip archive")
    with pytest.raises(ValueError, match=r"bad\.keras.*not a valid \.keras file"):
        lio.load_model(bad)
    import zipfile

    wrong = tmp_path / "wrong.keras"
    with zipfile.ZipFile(wrong, "w") as archive:
        archive.writestr("hello.txt", "a zip, but not a Keras model")
    with pytest.raises(ValueError, match=r"could not load .*wrong\.keras"):
        lio.load_model(wrong)


def test_save_requires_a_keras_model(tmp_path):
    with pytest.raises(TypeError, match="model must be a keras.Model; got str"):
        lio.save_model("model", tmp_path / "x.keras")


def test_saved_files_are_not_made_private(tmp_path) -> None:
    """Atomic writes go through mkstemp (mode 0600); the result gets the usual mode."""
    import os
    import stat

    import nbformat

    from labutils import nbtools
    from labutils._files import publish_mode

    old = os.umask(0o022)
    try:
        target = tmp_path / "nb.ipynb"
        nbtools.write_atomic(nbformat.v4.new_notebook(), target)
        assert stat.S_IMODE(target.stat().st_mode) == 0o644
        target.chmod(0o640)  # an existing file keeps its own mode
        nbtools.write_atomic(nbformat.v4.new_notebook(), target)
        assert stat.S_IMODE(target.stat().st_mode) == 0o640
        tmp = tmp_path / "t"
        tmp.write_text("x")
        tmp.chmod(0o600)
        publish_mode(tmp, tmp_path / "new")
        assert stat.S_IMODE(tmp.stat().st_mode) == 0o644
    finally:
        os.umask(old)
