"""labutils.tabular_pipeline: column typing, the preprocessor's exact statistics, and the
save/load round trip that must give identical predictions on raw rows."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from labutils import tabular_pipeline as tp


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame({
        "income": [100.0, np.nan, 300.0, 50.0, 200.0, np.nan],
        "age": [30, 40, 50, 60, 20, 35],
        "home": pd.Categorical(["rent", "owner", None, "rent", "owner", "rent"]),
        "records": [True, False, False, True, False, False],
        "note": ["a", "b", "c", "d", "e", "f"],
        "target": [0, 1, 0, 1, 0, 1],
    })


def test_column_types_splits_by_dtype(frame):
    numeric, categorical = tp.column_types(frame, exclude=["target"])
    assert numeric == ["income", "age"]
    assert categorical == ["home", "records", "note"]


def test_column_types_refuses_dates_and_unknown_excludes(frame):
    frame["when"] = pd.date_range("2020-01-01", periods=len(frame))
    with pytest.raises(ValueError, match="'when'"):
        tp.column_types(frame)
    with pytest.raises(ValueError, match="does not have"):
        tp.column_types(frame.drop(columns="when"), exclude=["nope"])
    with pytest.raises(TypeError, match="DataFrame"):
        tp.column_types(frame.to_numpy())


def test_preprocessor_uses_training_statistics_exactly(frame):
    prep = tp.make_preprocessor(["income", "age"], ["home"]).fit(frame)
    out = prep.transform(frame)
    # income: median of [100, 300, 50, 200] = 150 fills the gaps, then standardise
    filled = np.array([100.0, 150.0, 300.0, 50.0, 200.0, 150.0])
    np.testing.assert_allclose(out[:, 0], (filled - filled.mean()) / filled.std(), atol=1e-12)
    age = frame.age.to_numpy(float)
    np.testing.assert_allclose(out[:, 1], (age - age.mean()) / age.std(), atol=1e-12)
    # one indicator (income had gaps; age had none), standardised 0/1
    indicator = np.array([0, 1, 0, 0, 0, 1.0])
    np.testing.assert_allclose(out[:, 2], (indicator - indicator.mean()) / indicator.std(),
                               atol=1e-12)
    # home: the gap gets the most frequent training value ("rent"); columns owner, rent
    np.testing.assert_array_equal(out[:, 3:], [[0, 1], [1, 0], [0, 1], [0, 1], [1, 0], [0, 1]])
    assert out.shape == (6, 5)


def test_preprocessor_log_missing_level_and_unseen_category(frame):
    prep = tp.make_preprocessor(["income"], ["home"], log=["income"], indicator=False,
                                fill_categorical="missing").fit(frame)
    names = list(prep.get_feature_names_out())
    assert names == ["log_numeric__income", "categorical__home_missing",
                     "categorical__home_owner", "categorical__home_rent"]
    logged = np.log1p([100.0, 300.0, 50.0, 200.0])
    filled = np.array([logged[0], np.median(logged), logged[1], logged[2], logged[3],
                       np.median(logged)])
    out = prep.transform(frame)
    np.testing.assert_allclose(out[:, 0], (filled - filled.mean()) / filled.std(), atol=1e-12)
    assert out[2, 1] == 1.0  # the gap is its own level
    unseen = frame.head(1).assign(home=pd.Categorical(["boat"]))
    np.testing.assert_array_equal(prep.transform(unseen)[0, 1:], [0, 0, 0])


@pytest.mark.parametrize("kwargs, error, match", [
    ({"impute": "mode"}, ValueError, "impute must be one of"),
    ({"fill_categorical": "zero"}, ValueError, "fill_categorical must be one of"),
    ({"log": ["home"]}, ValueError, "log columns must be among the numeric"),
    ({"min_frequency": 0}, ValueError, "min_frequency"),
    ({"indicator": "yes"}, TypeError, "indicator must be one of"),
])
def test_preprocessor_validates_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        tp.make_preprocessor(["income"], ["home"], **kwargs)


def test_preprocessor_refuses_overlap_and_nothing():
    with pytest.raises(ValueError, match="both numeric and categorical"):
        tp.make_preprocessor(["a"], ["a"])
    with pytest.raises(ValueError, match="at least one"):
        tp.make_preprocessor([], [])


@pytest.fixture(scope="module")
def tabular():
    import keras

    rng = np.random.default_rng(0)
    n = 64
    data = pd.DataFrame({"income": rng.lognormal(5, 0.5, n), "age": rng.integers(18, 70, n),
                         "home": pd.Categorical(rng.choice(["rent", "owner", "other"], n))})
    data.loc[::7, "income"] = np.nan
    prep = tp.make_preprocessor(["income", "age"], ["home"], log=["income"]).fit(data)
    x = prep.transform(data).astype("float32")
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((x.shape[1],)), keras.layers.Dense(4, "relu"),
                              keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, rng.normal(size=n), epochs=1, verbose=0)
    return tp.TabularModel(prep, model, ["income", "age"], ["home"]), data


def test_round_trip_gives_identical_predictions_on_raw_rows(tabular, tmp_path):
    served, data = tabular
    folder = tp.save_tabular_model(served, tmp_path / "m")
    assert sorted(p.name for p in folder.iterdir()) == \
        ["manifest.json", "model.keras", "preprocessor.joblib"]
    assert [p.name for p in tmp_path.iterdir()] == ["m"]  # no temporary folder left behind
    manifest = json.loads((folder / tp.MANIFEST).read_text())
    assert manifest["numeric"] == ["income", "age"] and manifest["categorical"] == ["home"]
    fresh = tp.load_tabular_model(folder)
    expected = served.model.predict(served.preprocessor.transform(data).astype("float32"),
                                    verbose=0)
    np.testing.assert_array_equal(fresh.predict(data), expected)
    # JSON-like dicts with None for a gap give the same numbers as the DataFrame rows
    records = json.loads(data.head(8).to_json(orient="records"))
    assert records[0]["income"] is None
    np.testing.assert_array_equal(fresh.predict(records), expected[:8])
    np.testing.assert_array_equal(fresh.predict(records[0]), expected[:1])


def test_save_refuses_overwrite_unless_asked(tabular, tmp_path):
    served, data = tabular
    folder = tp.save_tabular_model(served, tmp_path / "m")
    with pytest.raises(FileExistsError, match="overwrite=True"):
        tp.save_tabular_model(served, folder)
    tp.save_tabular_model(served, folder, overwrite=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]
    assert tp.load_tabular_model(folder).predict(data.head(2)).shape == (2, 1)


def test_load_refuses_damaged_files_and_missing_manifest(tabular, tmp_path):
    served, _ = tabular
    folder = tp.save_tabular_model(served, tmp_path / "m")
    with open(folder / "preprocessor.joblib", "ab") as fh:
        fh.write(b"\0")
    with pytest.raises(ValueError, match="does not match the sha256"):
        tp.load_tabular_model(folder)
    with pytest.raises(FileNotFoundError, match="manifest.json"):
        tp.load_tabular_model(tmp_path / "nothing_here")


def test_predict_names_missing_columns_and_bad_numbers(tabular):
    served, data = tabular
    with pytest.raises(ValueError, match=r"lack the columns \['age'\]"):
        served.predict([{"income": 10.0, "home": "rent"}])
    with pytest.raises(ValueError, match="'age' must hold numbers"):
        served.predict([{"income": 10.0, "age": "forty", "home": "rent"}])


def test_tabular_model_requires_a_fitted_preprocessor(tabular):
    from sklearn.exceptions import NotFittedError

    served, _ = tabular
    with pytest.raises(NotFittedError):
        tp.TabularModel(tp.make_preprocessor(["income"]), served.model, ["income"], [])
