"""Every real table: exact rows, columns, dtypes, targets; the catalog's dispatch."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from labutils.data import describe_dataset, list_datasets, load_dataset
from labutils.data import tabular as T

# name -> (rows, columns, target column, True count or None)
EXPECTED = {
    "ames": (2930, 74, "sale_price", None),
    "lending_club": (9857, 23, "bad_loan", 517),
    "credit_scoring": (4454, 14, "bad_credit", 1254),
    "churn": (7043, 20, "churned", 1869),
    "pima_diabetes": (532, 8, "diabetic", 177),
    "breast_cancer": (569, 31, "malignant", 212),
    "flights": (336776, 19, "arr_delay", None),
    "movielens": (100004, 7, "rating", None),
    "chicago_ridership": (5698, 50, "ridership", None),
    "air_passengers": (144, 2, "passengers", None),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_shape_target_and_tidiness(name):
    rows, cols, target, n_true = EXPECTED[name]
    df = load_dataset(name)
    assert isinstance(df, pd.DataFrame)
    assert df.shape == (rows, cols)
    assert "rownames" not in df.columns
    assert all(c == c.lower() and " " not in c for c in df.columns)
    assert not any(df[c].dtype == object for c in df.columns)
    if n_true is not None:
        assert df[target].dtype == bool and int(df[target].sum()) == n_true
    else:
        assert pd.api.types.is_numeric_dtype(df[target])


def test_returns_independent_copies():
    a = T.load_churn()
    a.loc[:, "tenure"] = -1
    b = T.load_churn()
    assert (b["tenure"] >= 0).all()
    assert b.equals(T.load_churn())  # deterministic


def test_specific_columns_and_values():
    ames = T.load_ames()
    assert ames["sale_price"].between(12_000, 800_000).all()
    assert isinstance(ames["neighborhood"].dtype, pd.CategoricalDtype)
    credit = T.load_credit_scoring()
    assert int(credit["income"].isna().sum()) == 381  # real missing values, kept
    flights = T.load_flights()
    assert str(flights["time_hour"].dt.tz) == "America/New_York"
    assert (flights["time_hour"].dt.hour == flights["hour"]).all()
    assert int(flights["arr_delay"].isna().sum()) == 9430
    assert sorted(flights["origin"].cat.categories) == ["EWR", "JFK", "LGA"]
    ml = T.load_movielens()
    assert ml["user_id"].nunique() == 671 and ml["movie_id"].nunique() == 9066
    assert ml["rating"].min() == 0.5 and ml["rating"].max() == 5.0
    assert str(ml["timestamp"].dt.tz) == "UTC"
    chicago = T.load_chicago_ridership()
    assert chicago["date"].is_monotonic_increasing
    assert str(chicago["date"].iloc[0].date()) == "2001-01-22"
    ap = T.load_air_passengers()
    assert ap["passengers"].tolist()[:3] == [112, 118, 132]
    assert str(ap["month"].iloc[-1].date()) == "1960-12-01" and ap["passengers"].dtype == np.int64
    pima = T.load_pima_diabetes()
    assert pima.columns.tolist()[:3] == ["pregnancies", "glucose", "blood_pressure"]


def test_catalog_lists_and_describes():
    names = list_datasets()
    assert names == sorted(names) and len(names) == 16
    assert set(EXPECTED) <= set(names)
    assert list_datasets("timeseries") == ["air_passengers", "chicago_ridership"]
    assert "Ames" in describe_dataset("ames")
    with pytest.raises(ValueError, match="kind must be one of None, 'images', 'tabular'"):
        list_datasets("audio")
    with pytest.raises(TypeError, match="kind must be one of None"):
        list_datasets(3)


def test_unknown_name_lists_valid_names():
    with pytest.raises(ValueError) as err:
        load_dataset("amess")
    msg = str(err.value)
    assert "'amess'" in msg and all(n in msg for n in list_datasets())
    with pytest.raises(ValueError, match="valid names"):
        describe_dataset("imagenet")


def test_snake_case_rule():
    assert T._snake("Sale_Price") == "sale_price"
    assert T._snake("userId") == "user_id"
    assert T._snake("mean concave points") == "mean_concave_points"
