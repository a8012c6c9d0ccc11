"""The sample's transactions as an Alipay merchant trade bill (业务明细), read by
analyzer/ingest/readers/alipay_merchant.py.

The shape is the real one (tests/fixtures/formats/alipay-merchant/, SOURCES.md): GBK, CRLF, the
`#` preamble with the account and the period, the 25-column header, TAB-padded cells, payments
(交易) and refunds (退款, negative amounts, the payment's 支付宝交易号 repeated) in completion
order, and the `#` trailer with the totals per 业务类型. The campaign is platform-funded, so its
discount is in 支付宝优惠 and the merchant receives the whole order amount (商家实收).
The sample's own ids are kept (支付宝交易号 and 商户订单号 = txn_id; a refund's
退款批次号/请求号 = its txn_id) so the bill's rows can be compared with the sample's truth;
scene, campaign and config version go into 备注 (memo), and mapping.toml extracts them.
Times are Beijing wall-clock time to the second, as in a real bill.
"""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from analyzer.sample_formats import Writer, Written, register
from analyzer.sample_formats.loaded import goods, loaded_transactions, memo, memo_mapping, money, refunded_discount

ACCOUNT = "20887100000000000156"
HEADER = ("支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,"
          "订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,券名称,"
          "商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注")
T = "\t"


def _day(text: str) -> str:
    y, m, d = text[:10].split("-")
    return f"{y}年{m}月{d}日"


def write(sample_dir: Path, out_dir: Path) -> Written:
    part = out_dir / "body.part"
    with open(part, "w", encoding="gbk", newline="") as fh:
        totals = _write_rows(sample_dir, fh)
    count, received, merchant_off, first, last = totals
    start = date.fromisoformat((first or "2025-01-16")[:10])
    end = date.fromisoformat((last or "2025-01-16")[:10]) + timedelta(days=1)
    preamble = [
        "#支付宝业务明细查询",
        f"#账号：[{ACCOUNT}]",
        f"#起始日期：[{_day(start.isoformat())} 00:00:00]   终止日期：[{_day(end.isoformat())} 00:00:00]",
        "#" + "-" * 41 + "业务明细列表" + "-" * 40,
        HEADER,
    ]
    trailer = [
        "#" + "-" * 41 + "业务明细列表结束" + "-" * 36,
        f"#交易合计：{count['交易']}笔，商家实收共{money(received['交易'])}元，商家优惠共{money(merchant_off['交易'])}元",
        f"#退款合计：{count['退款']}笔，商家实收退款共{money(received['退款'])}元，商家优惠退款共{money(merchant_off['退款'])}元",
        f"#导出时间：[{_day(end.isoformat())} 05:12:33]",
    ]
    bill = out_dir / f"{ACCOUNT}_{start.strftime('%Y%m%d')}_业务明细.csv"
    with open(bill, "wb") as out, open(part, "rb") as rows:
        out.write(("\r\n".join(preamble) + "\r\n").encode("gbk"))
        shutil.copyfileobj(rows, out, 1 << 20)
        out.write(("\r\n".join(trailer) + "\r\n").encode("gbk"))
    part.unlink()
    mapping = out_dir / "mapping.toml"
    mapping.write_text(memo_mapping("备注"), encoding="utf-8")
    return Written(format="alipay-merchant", kind="transactions", files=(bill,), mapping=mapping, tz="Asia/Shanghai")


def _write_rows(sample_dir: Path, fh):
    """The data lines, in completion order; the totals per 业务类型 and the first and last time."""
    count = {"交易": 0, "退款": 0}
    received = {"交易": Decimal("0.00"), "退款": Decimal("0.00")}
    merchant_off = {"交易": Decimal("0.00"), "退款": Decimal("0.00")}
    first = last = None
    for row in loaded_transactions(sample_dir):
        refund = row["type"] == "refund"
        kind = "退款" if refund else "交易"
        if refund:
            # the payer's money and the platform's discount both go back: the order share is their sum
            back = refunded_discount(row)
            order, platform, merchant = -(row["amount"] + back), -back, Decimal("0.00")
            alipay_no, created, refund_no = row["original_txn_id"], row["original_local_ts"] or row["local_ts"], \
                row["txn_id"]
        else:
            order, platform, merchant = row["amount"], row["discount"], row["merchant_discount"] or Decimal("0.00")
            alipay_no, created, refund_no = row["txn_id"], row["local_ts"], ""
        merchant_got = order - merchant  # the platform-funded discount reaches the merchant from Alipay
        count[kind] += 1
        received[kind] += merchant_got
        merchant_off[kind] += merchant
        first = first or row["local_ts"]
        last = row["local_ts"]
        store = row["merchant_id"] or ""
        cells = [alipay_no + T, alipay_no + T, kind + T, goods(row["scene"]), created,
                 row["local_ts"], store + T, (f"门店{store}" if store else "") + T, T, T, row["user_id"] + T,
                 money(order), money(merchant_got), "0.00", "0.00", money(platform), money(merchant), "0.00", "",
                 "0.00" + T, "0.00", refund_no + T, "0.00", "0.00", memo(row)]
        fh.write(",".join(cells) + "\r\n")
    return count, received, merchant_off, first, last


WRITER = register(Writer("alipay-merchant", "transactions", write))
