"""The sample's transactions as a WeChat Pay merchant bill (downloadbill, ALL), read by
analyzer/ingest/readers/wechat_pay.py.

The shape is the real one (tests/fixtures/formats/wechat-pay/, SOURCES.md): UTF-8 with a BOM,
CRLF, the plain 27-column header, every data cell prefixed with a backtick, payments (SUCCESS)
and refunds (REFUND: the payment's 微信订单号, its own 微信退款单号, 退款金额, negative fee),
then the 总交易单数 summary header and its backticked row with the totals. As in the fixture
the campaign discount is the coupon (代金券金额) and 应结订单金额 = 订单金额 − coupon.
The sample's ids are kept (微信订单号 and 商户订单号 = txn_id; a refund's 微信退款单号 and
商户退款单号 = its txn_id); the merchant is the sub-merchant (特约商户号) of a service provider
(商户号); scene, campaign and config version go into 商户数据包 (attach), and mapping.toml
extracts them. Times are Beijing wall-clock time to the second, as in a real bill.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from analyzer.sample_formats import Writer, Written, register
from analyzer.sample_formats.loaded import goods, loaded_transactions, memo, memo_mapping, money

PROVIDER = "1612345678"
APP_ID = "wx8a6c2e4b1d3f5a7c"
HEADER = ("交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,"
          "应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,"
          "手续费,费率,订单金额,申请退款金额,费率备注")
SUMMARY = "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额"
RATE = Decimal("0.006")
FEE = Decimal("0.00001")


def _fee(amount: Decimal) -> Decimal:
    """The service fee: 0.60% rounded to the cent, written with five decimals (`0.15000`)."""
    return (amount * RATE).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def write(sample_dir: Path, out_dir: Path) -> Written:
    bill = out_dir / f"wechatpay_{PROVIDER}_ALL.csv"
    zero = Decimal("0.00")
    rows = 0
    settled = refunded = fees = ordered = requested = zero
    first = None
    with open(bill, "w", encoding="utf-8-sig", newline="") as fh:
        fh.write(HEADER + "\r\n")
        for row in loaded_transactions(sample_dir):
            first = first or row["local_ts"]
            refund = row["type"] == "refund"
            if refund:
                back = row["amount"]
                full = row["original_amount"] is not None and back >= (row["original_amount"] - row["original_discount"])
                asked = row["original_amount"] if full else back
                order_id, state, refund_id = row["original_txn_id"], "REFUND", row["txn_id"]
                settle, coupon, order, fee = zero, zero, zero, -_fee(back)
                refund_cells = [refund_id, refund_id, money(back), "0.00", "ORIGINAL", "SUCCESS"]
                refunded += back
                requested += asked
            else:
                order_id, state = row["txn_id"], "SUCCESS"
                order, coupon = row["amount"], row["discount"]
                settle, asked = order - coupon, zero
                fee = _fee(settle)
                refund_cells = ["0", "0", "0.00", "0.00", "", ""]
                settled += settle
                ordered += order
            rows += 1
            fees += fee
            cells = [row["local_ts"], APP_ID, PROVIDER, row["merchant_id"] or "0", "", order_id, order_id,
                     row["user_id"], "JSAPI", state, "OTHERS", "CNY", money(settle), money(coupon), *refund_cells,
                     goods(row["scene"]), memo(row), f"{fee.quantize(FEE):f}", "0.60%",
                     money(order), money(asked), ""]
            fh.write(",".join("`" + c for c in cells) + "\r\n")
        fh.write(SUMMARY + "\r\n")
        totals = [str(rows), money(settled), money(refunded), "0.00", f"{fees.quantize(FEE):f}", money(ordered),
                  money(requested)]
        fh.write(",".join("`" + c for c in totals) + "\r\n")
    day = (first or "2025-01-16")[:10].replace("-", "")
    final = out_dir / f"wechatpay_{PROVIDER}_{day}_ALL.csv"
    bill.replace(final)
    mapping = out_dir / "mapping.toml"
    mapping.write_text(memo_mapping("商户数据包"), encoding="utf-8")
    return Written(format="wechat-pay", kind="transactions", files=(final,), mapping=mapping, tz="Asia/Shanghai")


WRITER = register(Writer("wechat-pay", "transactions", write))
