"""The shipped table of notable AI models, for the background and trends chapters."""

from __future__ import annotations

import pandas as pd

from labutils.data.registry import shipped_file

NOTABLE_COLUMNS = ("name", "year", "organization", "parameters", "training_tokens",
                   "training_compute_flop", "source_url", "notes")


def load_notable_models() -> pd.DataFrame:
    """Notable AI models from AlexNet (2012) to 2025, one row each, with a source per row.

    Columns: ``name``, ``year`` (int64, year of the cited source), ``organization``,
    ``parameters``, ``training_tokens``, ``training_compute_flop`` (float64; NaN where the
    developers did not publish the number - never a guess), ``source_url`` (paper, model
    card or official announcement) and ``notes``. Mixture-of-experts rows give total
    parameters; the notes give the active ones. Rows are sorted by year, then name.
    """
    path = shipped_file("notable_models.csv")
    df = pd.read_csv(path, dtype={"name": "string", "organization": "string",
                                  "source_url": "string", "notes": "string"},
                     keep_default_na=False, na_values={"parameters": [""],
                                                       "training_tokens": [""],
                                                       "training_compute_flop": [""]})
    if tuple(df.columns) != NOTABLE_COLUMNS:
        raise ValueError(f"{path} must have columns {NOTABLE_COLUMNS}; got {tuple(df.columns)}")
    df["year"] = df["year"].astype("int64")
    for col in ("parameters", "training_tokens", "training_compute_flop"):
        df[col] = df[col].astype("float64")
    return df
