"""The attribute filter language: what planners may type, and what it refuses."""

from __future__ import annotations

import time

import numpy as np
import pytest

from alatau_twin.core.attributes import AttributeTable
from alatau_twin.core.expression import ExpressionError, compile_expression


@pytest.fixture
def table() -> AttributeTable:
    return AttributeTable(
        {
            "id": ["a", "b", "c", "d", "e"],
            "height": [12.0, 150.0, np.nan, 45.0, 101.0],
            "floors": [4, 40, 3, 10, 30],
            "use": ["residential", "office", "residential", None, "Retail Park"],
            "district": ["Gate", "Golden", "Green", "Gate", ""],
            "heritage": [False, True, False, False, True],
            "building:levels": [4, 40, 3, 10, 30],
            "start": np.array(
                ["2029-01-01", "2030-06-01", "NaT", "2031-01-01", "2030-01-01"],
                dtype="datetime64[D]",
            ),
        }
    )


def rows(text: str, table: AttributeTable) -> list[str]:
    mask = compile_expression(text, table.columns).evaluate(table)
    assert mask.dtype == bool and mask.shape == (len(table),)
    return [str(x) for x in table["id"][mask]]


def test_numeric_comparison_selects_tall_buildings(table: AttributeTable) -> None:
    assert rows("height > 100", table) == ["b", "e"]
    assert rows("100 < height", table) == ["b", "e"]
    assert rows("floors >= 30", table) == ["b", "e"]


def test_text_equality_and_membership(table: AttributeTable) -> None:
    assert rows('use == "residential"', table) == ["a", "c"]
    assert rows("use == 'residential'", table) == ["a", "c"]
    assert rows('district in ["Gate", "Golden"]', table) == ["a", "b", "d"]
    assert rows('district in ("Gate",)', table) == ["a", "d"]
    # Missing districts are neither in nor out of a list.
    assert rows('district not in ["Gate", "Golden"]', table) == ["c"]
    assert rows("floors in [3, 4]", table) == ["a", "c"]


def test_chained_comparison_is_a_range(table: AttributeTable) -> None:
    assert rows("10 < height <= 50", table) == ["a", "d"]
    assert rows("0 < floors < 10 < height", table) == ["a"]


def test_boolean_logic_and_parentheses(table: AttributeTable) -> None:
    assert rows('height > 100 and use == "office"', table) == ["b"]
    assert rows('height > 100 or district == "Green"', table) == ["b", "c", "e"]
    assert rows("not height > 100", table) == ["a", "c", "d"]
    assert rows('(height > 100 or floors < 5) and not district == "Gate"', table) == [
        "b",
        "c",
        "e",
    ]
    assert rows("heritage", table) == ["b", "e"]
    assert rows("heritage == False and floors > 3", table) == ["a", "d"]


def test_arithmetic_and_unary_minus(table: AttributeTable) -> None:
    assert rows("height / floors > 3.5", table) == ["b", "d"]
    assert rows("floors % 10 == 0", table) == ["b", "d", "e"]
    assert rows("height - floors * 3 > 20", table) == ["b"]
    assert rows("-height < -100", table) == ["b", "e"]
    assert rows("abs(height - 100) < 5", table) == ["e"]


def test_division_by_zero_is_not_an_error() -> None:
    t = AttributeTable({"a": [1.0, 2.0], "b": [0.0, 1.0]})
    assert compile_expression("a / b > 1").evaluate(t).tolist() == [True, True]


def test_text_functions_ignore_case(table: AttributeTable) -> None:
    assert rows('contains(use, "RESID")', table) == ["a", "c"]
    assert rows('contains(use, "park")', table) == ["e"]
    assert rows('startswith(use, "retail")', table) == ["e"]
    assert rows('lower(use) == "retail park"', table) == ["e"]
    assert rows("isnull(use) or isnull(district) or isnull(height)", table) == ["c", "d", "e"]
    assert rows("use is None", table) == ["d"]
    assert rows("height is not None and height < 20", table) == ["a"]
    assert rows("use == None", table) == ["d"]


def test_backquoted_names_with_odd_characters(table: AttributeTable) -> None:
    expr = compile_expression("`building:levels` > 20 and `height` > 120", table.columns)
    assert expr.columns == ("building:levels", "height")
    assert table["id"][expr.evaluate(table)].tolist() == ["b"]
    # A backquoted `=` is part of a name, not an operator; strings are left alone.
    t = AttributeTable({"a=b": [1, 2], "s": ["x=y", "z"]})
    assert compile_expression('`a=b` = 2 or s = "x=y"').evaluate(t).tolist() == [True, True]


def test_single_equals_means_equals(table: AttributeTable) -> None:
    assert rows('use = "office"', table) == ["b"]
    assert rows("floors=40", table) == ["b"]
    assert rows("floors >= 40 or floors <= 3 or floors != 10", table) == ["a", "b", "c", "e"]


def test_missing_values_never_match_a_comparison() -> None:
    t = AttributeTable({"h": [1.0, np.nan, 3.0], "s": np.array(["a", None, "c"], dtype=object)})
    for text in ("h > 0", "h < 10", "h == h", "h != 2", "s != 'x'", "s < 'z'", "s >= ''"):
        assert not compile_expression(text).evaluate(t)[1], text
    assert compile_expression("h != 1").evaluate(t).tolist() == [False, False, True]
    assert compile_expression("isnull(h)").evaluate(t).tolist() == [False, True, False]


def test_dates_compare_with_iso_strings(table: AttributeTable) -> None:
    assert rows('start >= "2030-01-01"', table) == ["b", "d", "e"]
    with pytest.raises(ExpressionError, match="not a date"):
        compile_expression('start > "soon"').evaluate(table)


def test_columns_lists_names_used_once_in_order() -> None:
    expr = compile_expression("height > 3 and use == 'x' or height < 1")
    assert expr.columns == ("height", "use")
    assert expr.text == "height > 3 and use == 'x' or height < 1"


def test_constant_conditions_broadcast(table: AttributeTable) -> None:
    assert compile_expression("True").evaluate(table).tolist() == [True] * 5
    assert compile_expression("1 > 2").evaluate(table).tolist() == [False] * 5


def test_unknown_column_is_named_with_a_suggestion(table: AttributeTable) -> None:
    with pytest.raises(ExpressionError) as err:
        compile_expression("floors > 2 and hieght > 10", table.columns)
    assert "hieght" in str(err.value) and "'height'" in str(err.value)
    assert err.value.position == 15
    # Without a column list the check happens against the table.
    expr = compile_expression("hieght > 10")
    with pytest.raises(ExpressionError, match="did you mean 'height'") as err:
        expr.evaluate(table)
    assert err.value.position == 0


def test_text_against_number_names_the_column(table: AttributeTable) -> None:
    with pytest.raises(ExpressionError, match="'height'") as err:
        compile_expression('height > "100"').evaluate(table)
    assert "number column 'height'" in str(err.value)
    assert err.value.position == 9
    with pytest.raises(ExpressionError, match="text column 'use'"):
        compile_expression("use == 5").evaluate(table)
    with pytest.raises(ExpressionError, match="text column 'district'"):
        compile_expression("district in [1, 2]").evaluate(table)
    with pytest.raises(ExpressionError, match="needs numbers"):
        compile_expression("use + 1 > 2").evaluate(table)
    with pytest.raises(ExpressionError, match="needs text"):
        compile_expression("contains(height, '1')").evaluate(table)


def test_syntax_errors_point_at_the_problem() -> None:
    with pytest.raises(ExpressionError, match="syntax error at position 9") as err:
        compile_expression("height > > 3")
    assert err.value.position == 9
    assert err.value.caret().splitlines()[1] == " " * 9 + "^"
    # Positions are characters, not UTF-8 bytes, and survive the `=` rewrite.
    with pytest.raises(ExpressionError) as err:
        compile_expression('name = "Алатау" and > 3')
    assert err.value.position == 20
    with pytest.raises(ExpressionError, match="unclosed backquote"):
        compile_expression("`height > 3")
    with pytest.raises(ExpressionError, match="empty"):
        compile_expression("   ")


def test_results_that_are_not_conditions_are_rejected(table: AttributeTable) -> None:
    for text in ("height + 1", "42", "'residential'", "abs(height)", "-height"):
        with pytest.raises(ExpressionError, match="must be a condition"):
            compile_expression(text)
    with pytest.raises(ExpressionError, match="must be a condition"):
        compile_expression("height").evaluate(table)
    with pytest.raises(ExpressionError, match="conditions on both sides"):
        compile_expression("height and use == 'x'").evaluate(table)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("__import__('os')", "unknown function '__import__'"),
        ("__import__('os').system('true')", "attribute access"),
        ("a.b > 1", "attribute access"),
        ("height.__class__", "attribute access"),
        ("open('/etc/passwd')", "unknown function 'open'"),
        ("eval('1')", "unknown function 'eval'"),
        ("(lambda: 1)()", "only plain function calls"),
        ("lambda x: x", "lambda"),
        ("height[0] > 1", "indexing"),
        ("[x for x in height]", "comprehensions"),
        ("height ** 2 > 4", "not allowed"),
        ("f'{height}' == 'x'", "f-strings"),
        ("(x := 1)", "assignment"),
        ("1 if height else 0", "if/else"),
        ("contains(use)", "takes 2 arguments"),
        ("contains(use, 'x', 'y')", "takes 2 arguments"),
        ("height in floors", "needs a list"),
        ("height in [floors]", "literal values"),
        ("height is 3", "'is None'"),
        ("{'a': 1} == 1", "dictionaries"),
        ("b'x' == 1", "unsupported literal"),
        ("~heritage", "'~' is not allowed"),
    ],
)
def test_unsafe_or_unsupported_syntax_is_rejected(text: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=message):
        compile_expression(text)


def test_pathological_nesting_is_an_expression_error() -> None:
    for text in ("not " * 2400 + "a", "-" * 9000 + "a > 1", "x > 1 and " * 2000 + "x > 1"):
        with pytest.raises(ExpressionError):
            compile_expression(text)


def test_hundred_thousand_rows_filter_in_milliseconds() -> None:
    rng = np.random.default_rng(0)
    n = 100_000
    uses = np.array(["residential", "office", "retail", "industrial"], dtype=object)
    t = AttributeTable(
        {
            "height": rng.uniform(3, 200, n),
            "floors": rng.integers(1, 60, n),
            "use": uses[rng.integers(0, 4, n)],
            "district": np.array(["Gate", "Golden", "Green"], dtype=object)[rng.integers(0, 3, n)],
        }
    )
    expr = compile_expression(
        'height > 100 and use == "residential" and district in ["Gate", "Golden"] '
        "and height / floors > 2",
        t.columns,
    )
    expr.evaluate(t)  # warm up
    start = time.perf_counter()
    mask = expr.evaluate(t)
    elapsed = time.perf_counter() - start
    expected = (
        (t["height"] > 100)
        & (t["use"] == "residential")
        & np.isin(t["district"].astype(str), ["Gate", "Golden"])
        & (t["height"] / t["floors"] > 2)
    )
    assert np.array_equal(mask, expected)
    assert elapsed < 0.05, f"{elapsed * 1000:.1f} ms"
