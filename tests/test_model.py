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


capped = configs.map(lambda c: DiscountConfig(discount_type="percent", discount_value=c.discount_value,
                                            max_discount=c.max_discount or Decimal("0.00"), min_amount=c.min_amount,
                                            scenes=c.scenes, enabled=c.enabled))


@given(capped, cents, scenes)
def test_cap_respected(config, amount, scene):
    assert apply(config, amount, scene) <= config.max_discount


@given(cents, percent)
def test_percent_rounds_to_the_nearest_cent(amount, value):
    config = DiscountConfig(discount_type="percent", discount_value=value)
    exact = amount * value / 100
    assert abs(apply(config, amount, "x") - exact) <= Decimal("0.005")


# amount x value / 100 lands exactly on a half cent: (2k + 1) half cents, as amount = n cents at 50%
half_cents = st.integers(min_value=0, max_value=1_000_000).map(lambda k: Decimal(2 * k + 1) / 100)


@given(half_cents)
def test_a_half_cent_rounds_away_from_zero(amount):
    config = DiscountConfig(discount_type="percent", discount_value=Decimal(50))
    exact = amount * 50 / 100  # ends in 5 at the third decimal
    assert exact.as_tuple().exponent == -3 and exact.as_tuple().digits[-1] == 5
    assert apply(config, amount, "x") == exact + Decimal("0.005")


def test_rounding_examples():
    pct20 = DiscountConfig(discount_type="percent", discount_value=Decimal(20))
    assert apply(pct20, Decimal("0.15"), "x") == Decimal("0.03")   # 0.030
    assert apply(pct20, Decimal("10.03"), "x") == Decimal("2.01")  # 2.006
    assert apply(DiscountConfig(discount_type="percent", discount_value=Decimal("12.5")), Decimal("0.20"), "x") == Decimal("0.03")  # 0.025
    assert round_cents(Decimal("-0.005")) == Decimal("-0.01")


# configs that give nothing: disabled, no discount, or the scene not in the list
giving_nothing = st.one_of(
    configs.map(lambda c: DiscountConfig(c.discount_type, c.discount_value, c.max_discount, c.min_amount,
                                         c.scenes, enabled=False)),
    configs.map(lambda c: DiscountConfig("none", c.discount_value, c.max_discount, c.min_amount, c.scenes, c.enabled)),
    configs.map(lambda c: DiscountConfig(c.discount_type, c.discount_value, c.max_discount, c.min_amount,
                                         ("shopping",), c.enabled)),
)


@given(giving_nothing, st.sampled_from(["transfer", "rent", "credit_card_repayment", None]))
def test_ineligible_or_disabled_gets_nothing(config, scene):
    assert apply(config, Decimal("100.00"), scene) == 0


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
