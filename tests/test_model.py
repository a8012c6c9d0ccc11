"""Properties of apply() (DESIGN.md, the model of a discount), in Python and in SQL."""

from __future__ import annotations

from decimal import Decimal

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analyzer import sql as sql_files
from analyzer.analysis.model import DiscountConfig, apply, round_cents

cents = st.integers(min_value=0, max_value=10_000_000).map(lambda c: Decimal(c) / 100)
percent = st.integers(min_value=0, max_value=10_000).map(lambda bp: Decimal(bp) / 100)  # 0.00 .. 100.00
scenes = st.sampled_from(["shopping", "transfer", "rent", "credit_card_repayment", None])
configs = st.builds(
    DiscountConfig,
    discount_type=st.sampled_from(["none", "fixed", "percent"]),
    discount_value=st.one_of(cents, percent),
    max_discount=st.one_of(st.none(), cents),
    min_amount=st.one_of(st.none(), cents),
    scenes=st.one_of(st.just(("*",)), st.lists(st.sampled_from(["shopping", "transfer", "rent"]), min_size=1,
                                               max_size=3, unique=True).map(tuple)),
    enabled=st.booleans(),
)


@given(configs, cents, scenes)
def test_never_above_the_amount_nor_negative(config, amount, scene):
    d = apply(config, amount, scene)
    assert Decimal(0) <= d <= amount
    assert d == d.quantize(Decimal("0.01"))


@given(configs, cents, scenes)
def test_cap_respected(config, amount, scene):
    if config.discount_type == "percent" and config.max_discount is not None:
        assert apply(config, amount, scene) <= config.max_discount


@given(cents, percent)
def test_percent_rounds_half_away_from_zero(amount, value):
    config = DiscountConfig(discount_type="percent", discount_value=value)
    exact = amount * value / 100
    d = apply(config, amount, "x")
    assert abs(d - exact) <= Decimal("0.005")
    if abs(d - exact) == Decimal("0.005"):
        assert d > exact  # a half cent goes up (away from zero for discounts, which are >= 0)


def test_rounding_examples():
    pct20 = DiscountConfig(discount_type="percent", discount_value=Decimal(20))
    assert apply(pct20, Decimal("0.15"), "x") == Decimal("0.03")   # 0.030
    assert apply(pct20, Decimal("10.03"), "x") == Decimal("2.01")  # 2.006
    assert apply(DiscountConfig(discount_type="percent", discount_value=Decimal("12.5")), Decimal("0.20"), "x") == Decimal("0.03")  # 0.025
    assert round_cents(Decimal("-0.005")) == Decimal("-0.01")


@given(configs, scenes)
def test_ineligible_or_disabled_gets_nothing(config, scene):
    amount = Decimal("100.00")
    if not config.enabled or not config.eligible(scene) or config.discount_type == "none":
        assert apply(config, amount, scene) == 0


@pytest.fixture(scope="module")
def sql():
    con = duckdb.connect()
    con.execute("CREATE TABLE privacy_key AS SELECT 'k' AS key").fetchall()
    for statement in sql_files.script("analysis/macros"):
        con.execute(statement).fetchall()
    yield con
    con.close()


@settings(max_examples=300, deadline=None)
@given(configs, cents, scenes)
def test_sql_macro_equals_python(sql, config, amount, scene):
    got = sql.execute(
        "SELECT apply_discount(?, CAST(? AS DECIMAL(18,4)), CAST(? AS DECIMAL(18,2)), CAST(? AS DECIMAL(18,2)), "
        "CAST(? AS VARCHAR[]), ?, CAST(? AS DECIMAL(18,2)), ?)",
        [config.discount_type, config.discount_value, config.max_discount, config.min_amount, list(config.scenes),
         config.enabled, amount, scene]).fetchall()[0][0]
    assert got == apply(config, amount, scene)


def test_config_reads_numbers_and_strings_exactly():
    a = DiscountConfig.from_json('{"discount_type": "fixed", "discount_value": 0.50, "min_amount": "5.00"}')
    b = DiscountConfig.from_json('{"discount_type": "fixed", "discount_value": "0.5", "min_amount": 5}')
    assert a.discount_value == b.discount_value == Decimal("0.5")
    assert a.min_amount == b.min_amount == Decimal(5)
