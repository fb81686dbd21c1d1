"""Typing through strings: each rule, and how scoring reads values that do not parse."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from dbt_automl.preprocess import infer_schema, to_frame
from dbt_automl.preprocess._typing import detect, looks_like_text, parse


def _strings(values: list[str | None]) -> pa.ChunkedArray:
    return pa.chunked_array([pa.array(values, pa.string())])


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["Y", "n", " yes ", "N", None, "N/A"], ("boolean", None)),
        (["true", "FALSE", "t", "f"], ("boolean", None)),
        (["1", "0", "1"], ("boolean", None)),
        (["1.5", " 2", "-3e2", None, "", ".5"], ("numeric", "plain")),
        (["$1,234.50", "12", "1,000,000", "-7%"], ("numeric", "grouped")),
        (["2024-03-05", "2024-03-06 12:00:00", "2024-12-31T23:59:59Z"], ("datetime", "ISO8601")),
        (["05/03/2024", "13/03/2024", "01/12/2023"], ("datetime", "%d/%m/%Y")),
        (["03/05/2024", "03/13/2024"], ("datetime", "%m/%d/%Y")),
        (["05-Mar-2024", "13-Dec-2023"], ("datetime", "%d-%b-%Y")),
        (["02139", "10001", "94105"], None),  # zip codes: leading zeros make them codes
        (["gold", "basic", "gold"], None),
    ],
)
def test_detect(values: list[str | None], expected: tuple[str, str | None] | None) -> None:
    assert detect(_strings(values)) == expected


def test_one_unparseable_value_in_a_hundred_still_types_the_column() -> None:
    assert detect(_strings([str(i) for i in range(199)] + ["oops"])) == ("numeric", "plain")
    assert detect(_strings([str(i) for i in range(50)] + ["oops"])) is None


def test_parse_turns_unparseable_values_into_missing() -> None:
    numbers = parse(_strings(["1,5", "2", "abc", None]), "numeric", "plain")
    assert np.isnan(numbers[[0, 2, 3]]).all() and numbers[1] == 2
    flags = parse(_strings(["Yes", "no", "maybe", None]), "boolean", None)
    assert flags[:2].tolist() == [1.0, 0.0] and np.isnan(flags[2:]).all()
    dates = parse(_strings(["2024-02-30", "2024-02-28", None]), "datetime", "ISO8601")
    assert np.isnat(dates[[0, 2]]).all() and str(dates[1]).startswith("2024-02-28")


def test_schema_keeps_the_source_kind_and_records_the_parsed_one() -> None:
    table = pa.table(
        {
            "amount": ["10.5", "3", "7.25", "100"],
            "is_active": ["Y", "N", "Y", None],
            "opened": ["01/02/2023", "15/02/2023", "28/02/2023", "03/03/2023"],
        }
    )
    schema = infer_schema(table)
    got = {c.name: (c.kind, c.parsed_as, c.parse_format, c.encoding) for c in schema.columns}
    assert got == {
        "amount": ("categorical", "numeric", "plain", "scaled"),
        "is_active": ("categorical", "boolean", None, "scaled"),
        "opened": ("categorical", "datetime", "%d/%m/%Y", "date_parts"),
    }
    batch = pa.record_batch({"amount": ["n/a"], "is_active": ["?"], "opened": ["31/31/2023"]})
    frame = to_frame(batch, schema)
    assert frame["amount"].isna().all() and frame["is_active"].isna().all()
    assert frame["opened"].isna().all()


def test_text_needs_long_multiword_values_with_many_distinct() -> None:
    words = ["late", "parcel", "refund", "courier", "broken", "box", "great", "service"]
    rng = np.random.default_rng(0)
    text = [" ".join(rng.choice(words, 6)) + f" order {i}" for i in range(200)]
    assert looks_like_text(_strings(text), n_unique=200, n_rows=200)
    label = ["Refund requested by customer after delay"] * 200
    assert not looks_like_text(_strings(label), n_unique=1, n_rows=200)
    short = [f"sku-{i}" for i in range(200)]
    assert not looks_like_text(_strings(short), n_unique=200, n_rows=200)


def test_impossible_dates_are_missing_not_rolled_over() -> None:
    dates = parse(_strings(["31/02/2024", "5/3/2024", "29/02/2024"]), "datetime", "%d/%m/%Y")
    assert np.isnat(dates[0])
    assert [str(d)[:10] for d in dates[1:]] == ["2024-03-05", "2024-02-29"]


def test_dictionary_encoded_strings_are_typed_like_plain_ones() -> None:
    table = pa.table(
        {
            "tier": pa.array(["a", "b", "a", "c"] * 20).dictionary_encode(),
            "price": pa.array([f"{i % 7}.5" for i in range(80)]).dictionary_encode(),
        }
    )
    schema = infer_schema(table)
    assert [(c.kind, c.parsed_as, c.encoding) for c in schema.columns] == [
        ("categorical", None, "one_hot"),
        ("categorical", "numeric", "scaled"),
    ]
    assert to_frame(table, schema)["price"].tolist()[:2] == [0.5, 1.5]
