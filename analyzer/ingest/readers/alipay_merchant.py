"""Alipay merchant trade bill, 业务明细 (the `…_业务明细.csv` of the trade bill zip): GBK, `#`
preamble lines (the account, the period) before the header and `#` trailer lines (totals)
after the data, cells padded with a TAB, refunds as rows of their own with negative amounts.

What becomes what (docs: README, "Your data"; shape and sources: tests/fixtures/formats/):
  txn_id           支付宝交易号; a refund (业务类型 退款): its 退款批次号/请求号
  original_txn_id  a refund: its 支付宝交易号 (the payment's: a refund row repeats it)
  ts               完成时间, Beijing time (--tz says otherwise)
  user_id          对方账户          merchant_id  门店编号, else the account of `#账号：[…]`
  amount           订单金额（元）; a refund: the money returned to the payer, positive
  discount         the platform-funded part: 支付宝红包 + 集分宝 + 支付宝优惠 (a refund: 0)
  merchant_discount 商家优惠 + 券核销金额
  paid             商家实收 − the platform-funded part (商家实收 = 订单金额 − what the merchant
                   funds), so amount − discount − merchant_discount = paid is checked per row
scene, campaign_id and config_version are no Alipay fields: a mapping extracts them (from 备注,
商品名称, ...) with `sql` expressions.
"""

from __future__ import annotations

import re

from analyzer.ingest.readers.base import ReadContext, Reader, Staged
from analyzer.ingest.readers.bills import (bill_source, cleaned, col, exact_sum, find, prepare_bill,
                                           require, stage_bill)
from analyzer.ingest.sniff import Sample
from analyzer.sql import quote_literal

TITLE = "#支付宝业务明细查询"
FIRST_COLUMN = "支付宝交易号"
ACCOUNT_RE = re.compile(r"^#账号[：:]\[([^\]]*)\]")
ACCOUNT_ID = re.compile(r"[0-9A-Za-z@._-]{1,64}")

TXN, ORDER_TYPE, DONE, PAYER, STORE = "支付宝交易号", "业务类型", "完成时间", "对方账户", "门店编号"
AMOUNT, RECEIVED = "订单金额（元）", "商家实收（元）"
PLATFORM = ("支付宝红包（元）", "集分宝（元）", "支付宝优惠（元）")   # funded by Alipay (or the payer's points)
MERCHANT = ("商家优惠（元）", "券核销金额（元）")                   # funded by the merchant
REFUND_NO = "退款批次号/请求号"


def sniff(sample: Sample) -> int:
    if sample.parquet or sample.json is not None or not sample.lines:
        return 0
    first = sample.lines[0].lstrip("\ufeff")
    header = any(ln.startswith(FIRST_COLUMN + ",") and ORDER_TYPE in ln for ln in sample.lines[:64])
    if first.startswith(TITLE):
        return 60 if header else 50
    return 50 if header and first.startswith(FIRST_COLUMN + ",") else 0


def _account(preamble: tuple[str, ...]) -> str | None:
    """The merchant account of `#账号：[…]`, when it is an id (it is spliced into the view as a
    literal, so nothing else is taken)."""
    for line in preamble:
        match = ACCOUNT_RE.match(line)
        if match and ACCOUNT_ID.fullmatch(match.group(1)):
            return match.group(1)
    return None


def _unpad(data: bytes) -> bytes:
    """The TAB the export appends to ids and names (so that Excel keeps long numbers as text),
    taken off the end of every cell."""
    data = data.replace(b"\t,", b",")
    if b"\t\n" in data or b"\t\r" in data:  # the last cell (备注) is not padded in the real export
        data = data.replace(b"\t\r\n", b"\r\n").replace(b"\t\n", b"\n")
    return data


def stage(ctx: ReadContext) -> Staged:
    text = prepare_bill(ctx, is_header=lambda t: bool(t.strip()) and not t.startswith("#"), trailer="#",
                        unpad=_unpad)
    source = bill_source(ctx, text)
    header = source.header
    txn, kind, done, payer, store, amount, received, refund_no = (
        find(header, c) for c in (TXN, ORDER_TYPE, DONE, PAYER, STORE, AMOUNT, RECEIVED, REFUND_NO))
    platform = [find(header, c) for c in PLATFORM]
    merchant = [find(header, c) for c in MERCHANT]
    require(ctx, text, header, {
        "txn_id": [txn, kind, refund_no], "type": [kind], "original_txn_id": [txn, kind], "ts": [done],
        "user_id": [payer], "amount": [kind, amount, *platform, *merchant], "discount": [kind, *platform],
        "merchant_discount": [kind, *merchant], "paid": [kind, received, *platform],
    }, "an Alipay 业务明细 bill")
    refund = f"({col(kind)} = '退款')"
    account = _account(text.preamble)
    account_sql = quote_literal(account) if account else "CAST(NULL AS VARCHAR)"
    own = {
        "txn_id": f"(CASE WHEN {refund} THEN {col(refund_no)} ELSE {col(txn)} END)",
        "type": (f"(CASE {col(kind)} WHEN '交易' THEN 'payment' WHEN '退款' THEN 'refund' "
                 f"ELSE coalesce(NULLIF({col(kind)}, ''), '{ORDER_TYPE} empty') END)"),
        "original_txn_id": f"(CASE WHEN {refund} THEN {col(txn)} END)",
        "ts": col(done),
        "user_id": col(payer),
        "merchant_id": (f"coalesce(NULLIF({col(store)}, ''), {account_sql})" if store in header else account_sql),
        # a refund row holds negative amounts: what went back to the payer is minus what the
        # payer's share of the order was (order amount less every discount)
        "amount": (f"(CASE WHEN {refund} THEN {exact_sum([(-1, amount), *((1, c) for c in platform + merchant)])} "
                   f"ELSE {col(amount)} END)"),
        "discount": f"(CASE WHEN {refund} THEN '0.00' ELSE {exact_sum([(1, c) for c in platform])} END)",
        "merchant_discount": f"(CASE WHEN NOT {refund} THEN {exact_sum([(1, c) for c in merchant])} END)",
        "paid": f"(CASE WHEN NOT {refund} THEN {exact_sum([(1, received), *((-1, c) for c in platform)])} END)",
        "currency": quote_literal(ctx.mapping.currency or "CNY"),  # the header says 元
    }
    own = {k: v for k, v in own.items() if k not in ctx.fields}
    relation = cleaned(source, lambda c: f"trim({c})",
                       money=[c for c in (amount, received, *platform, *merchant) if c in header])
    return stage_bill(ctx, text, source, relation, own)


READER = Reader(
    name="alipay-merchant",
    kinds=("transactions",),
    recognises="Alipay merchant trade bill 业务明细 (…_业务明细.csv): GBK, `#` preamble and totals, TAB-padded "
               "cells, refunds as 退款 rows; times in Beijing time unless --tz",
    example="analyzer ingest --db incident.duckdb --transactions 2088…_业务明细.csv --mapping alipay.toml",
    sniff=sniff,
    stage=stage,
    mapping="scene / campaign_id / config_version with sql expressions over 备注 or 商品名称 (README, Your data)",
)
