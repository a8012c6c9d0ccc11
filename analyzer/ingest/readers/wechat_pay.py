"""WeChat Pay merchant trade bill (`downloadbill`, bill_type ALL): UTF-8, usually with a BOM;
a plain header, data rows whose every cell starts with a backtick, then a summary header
(总交易单数,…) and one summary row, which are not payments. Both the current column set
(应结订单金额, 代金券金额, 订单金额, 特约商户号) and the older one (总金额, 代金券或立减优惠金额,
子商户号) are read, by name.

What becomes what (docs: README, "Your data"; shape and sources: tests/fixtures/formats/):
  txn_id           微信订单号; a refund (交易状态 REFUND): its 微信退款单号
  original_txn_id  a refund: its 微信订单号
  ts               交易时间 (full-width colons normalised), Beijing time (--tz says otherwise)
  user_id          用户标识 (the openid)
  merchant_id      特约商户号 (子商户号) unless 0 or empty, else 商户号
  amount           订单金额 (older bills: 总金额); a refund: 退款金额
  discount         代金券金额 (older: 代金券或立减优惠金额); a refund: 0
  currency         货币种类
paid is left empty: the bill has no column of what the payer was charged other than
amount − discount itself (应结订单金额 is the merchant's settlement, which leaves a WeChat-funded
coupon in). A refund whose 退款状态 is not SUCCESS (PROCESSING, CHANGE…) returned no money
yet: it is quarantined as bad_type, not counted. A body that is an XML error reply
(`<xml><return_code>FAIL…`) is said to be one.
"""

from __future__ import annotations

import re

from analyzer.errors import InputError
from analyzer.ingest.readers.base import ReadContext, Reader, Staged
from analyzer.ingest.readers.bills import (bill_source, cleaned, col, prepare_bill, require,
                                           stage_bill)
from analyzer.ingest.sniff import Sample
from analyzer.sql import quote_literal

FIRST_COLUMN = "交易时间"
SUMMARY = "总交易单数"
XML_MSG = re.compile(r"<(return_msg|err_code_des|error_code)>(?:<!\[CDATA\[)?(.*?)(?:\]\]>)?</\1>", re.S)


def _is_error_reply(sample: Sample) -> bool:
    body = sample.text.lstrip("\ufeff \t\r\n")
    return body.startswith("<xml>") and "<return_code>" in body


def sniff(sample: Sample) -> int:
    if sample.parquet or sample.json is not None or not sample.lines:
        return 0
    if _is_error_reply(sample):
        return 50
    first = next((ln for ln in sample.lines if ln.strip()), "").lstrip("\ufeff")
    if first.startswith(FIRST_COLUMN + ",") and "微信订单号" in first and "交易状态" in first:
        return 60
    return 0


def _pick(header: tuple[str, ...], *names: str) -> str:
    """The first of `names` the header has (current column set first, then the older one)."""
    return next((n for n in names if n in header), names[0])


def stage(ctx: ReadContext) -> Staged:
    if _is_error_reply(ctx.sample):
        said = "; ".join(f"{k} {v.strip()}" for k, v in XML_MSG.findall(ctx.sample.text)) or "no message"
        raise InputError(f"this is WeChat Pay's error reply, not a bill ({said}); download the bill again",
                         path=ctx.where)
    text = prepare_bill(ctx, is_header=lambda t: bool(t.strip()), trailer=SUMMARY)
    source = bill_source(ctx, text)
    header = source.header
    order, status, refund_no, refund_amount = "微信订单号", "交易状态", "微信退款单号", "退款金额"
    amount = _pick(header, "订单金额", "总金额")
    coupon = _pick(header, "代金券金额", "代金券或立减优惠金额")
    sub_mch = _pick(header, "特约商户号", "子商户号")
    require(ctx, text, header, {
        "txn_id": [order, status, refund_no], "type": [status], "original_txn_id": [order, status],
        "ts": [FIRST_COLUMN], "user_id": ["用户标识"], "amount": [status, amount, refund_amount],
        "discount": [status, coupon],
    }, "a WeChat Pay bill")
    refund = f"({col(status)} = 'REFUND')"
    refund_state = (f"coalesce(NULLIF({col('退款状态')}, ''), 'SUCCESS')" if "退款状态" in header else "'SUCCESS'")
    merchant = [f"NULLIF(NULLIF({col(sub_mch)}, ''), '0')"] if sub_mch in header else []
    merchant += [f"NULLIF({col('商户号')}, '')"] if "商户号" in header else []
    ts = f"replace(replace({col(FIRST_COLUMN)}, '：', ':'), '  ', ' ')"
    own = {
        "txn_id": f"(CASE WHEN {refund} THEN {col(refund_no)} ELSE {col(order)} END)",
        "type": (f"(CASE WHEN {col(status)} = 'SUCCESS' THEN 'payment' "
                 f"WHEN {refund} AND {refund_state} = 'SUCCESS' THEN 'refund' "
                 f"WHEN {refund} THEN 'refund ' || {refund_state} "
                 f"ELSE coalesce(NULLIF({col(status)}, ''), '交易状态 empty') END)"),
        "original_txn_id": f"(CASE WHEN {refund} THEN {col(order)} END)",
        "ts": ts,
        "user_id": col("用户标识"),
        "merchant_id": f"coalesce({', '.join(merchant)})" if merchant else "CAST(NULL AS VARCHAR)",
        "amount": f"(CASE WHEN {refund} THEN {col(refund_amount)} ELSE {col(amount)} END)",
        "discount": f"(CASE WHEN {refund} THEN '0.00' ELSE {col(coupon)} END)",
    }
    if "货币种类" in header:
        fallback = quote_literal(ctx.mapping.currency) if ctx.mapping.currency else "CAST(NULL AS VARCHAR)"
        own["currency"] = f"coalesce(NULLIF({col('货币种类')}, ''), {fallback})"
    own = {k: v for k, v in own.items() if k not in ctx.fields}
    # one leading backtick off every cell (WeChat's guard against Excel reading ids as numbers);
    # in SQL, where DuckDB does it in parallel and only for the columns used (bytes.replace in
    # the pre-pass costs more here: a backtick in every cell)
    relation = cleaned(source, lambda c: f"trim(CASE WHEN starts_with({c}, '`') THEN {c}[2:] ELSE {c} END)")
    return stage_bill(ctx, text, source, relation, own)


READER = Reader(
    name="wechat-pay",
    kinds=("transactions",),
    recognises="WeChat Pay merchant bill (downloadbill ALL, current and older columns): BOM or not, backticked "
               "cells, the 总交易单数 summary; times in Beijing time unless --tz",
    example="analyzer ingest --db incident.duckdb --transactions wechatpay_…_ALL.csv --mapping wechat.toml",
    sniff=sniff,
    stage=stage,
    mapping="scene / campaign_id / config_version with sql expressions over 商户数据包 (attach) (README, Your data)",
)
