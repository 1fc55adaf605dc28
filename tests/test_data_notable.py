"""The cited table of notable AI models: types, provenance and plausibility."""

from __future__ import annotations

import numpy as np
import pandas as pd

from labutils.data import load_dataset, load_notable_models


def test_shape_columns_and_dtypes():
    df = load_notable_models()
    assert df.shape == (69, 8)
    assert list(df.columns) == ["name", "year", "organization", "parameters",
                                "training_tokens", "training_compute_flop", "source_url",
                                "notes"]
    assert df["year"].dtype == np.int64
    for col in ("parameters", "training_tokens", "training_compute_flop"):
        assert df[col].dtype == np.float64
    assert pd.api.types.is_string_dtype(df["name"])
    assert load_dataset("notable_models").equals(df)


def test_every_row_is_cited_and_unique():
    df = load_notable_models()
    assert df["source_url"].str.match(r"^https://\S+$").all()
    assert df["name"].is_unique
    assert (df["organization"].str.len() > 0).all()


def test_years_span_2012_to_2025_and_rows_are_sorted():
    df = load_notable_models()
    assert df["year"].min() == 2012 and df["year"].max() == 2025
    assert set(range(2012, 2026)) <= set(df["year"])
    keys = list(zip(df["year"], df["name"].str.lower(), strict=True))
    assert keys == sorted(keys)


def test_numbers_are_plausible_where_published():
    df = load_notable_models()
    p, d, c = df["parameters"], df["training_tokens"], df["training_compute_flop"]
    assert p.dropna().between(1e6, 1e13).all()
    assert d.dropna().between(1e8, 1e14).all()
    assert c.dropna().between(1e17, 1e27).all()
    assert p.notna().sum() >= 55 and d.notna().sum() >= 25
    both = df.dropna(subset=["parameters", "training_tokens", "training_compute_flop"])
    ratio = both["training_compute_flop"] / (6 * both["parameters"] * both["training_tokens"])
    assert len(both) >= 2 and ratio.between(0.8, 1.25).all()  # the 6*N*D rule holds


def test_known_rows_and_withheld_numbers():
    df = load_notable_models().set_index("name")
    assert df.loc["AlexNet", "parameters"] == 60e6
    assert df.loc["GPT-3", "parameters"] == 175e9
    assert df.loc["GPT-3", "training_tokens"] == 300e9
    assert df.loc["Chinchilla", "training_tokens"] == 1.4e12
    assert df.loc["DeepSeek-V3", "parameters"] == 671e9
    assert np.isnan(df.loc["GPT-4", "parameters"])  # not published: left blank, not guessed
    chinese = {"Baidu", "Huawei and Peng Cheng Laboratory", "Tsinghua University and Zhipu AI",
               "Alibaba Cloud", "DeepSeek-AI", "Moonshot AI", "Inspur"}
    assert chinese <= set(df["organization"])
