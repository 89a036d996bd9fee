"""Reports, history and visit outcomes through the services and reserve functions on
DynamoDB in moto. The figures are checked against the reservation and ledger items read
with boto3, never through the code under test."""

import csv
import io
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from conftest import a_start, doc_of, ledger

MADRID = ZoneInfo("Europe/Madrid")


def local_day_ms(day):
    """Epoch milliseconds of local midnight starting `day` and of the next one."""
    d = date.fromisoformat(day)
    start = datetime(d.year, d.month, d.day, tzinfo=MADRID)
    nxt = d + timedelta(days=1)
    end = datetime(nxt.year, nxt.month, nxt.day, tzinfo=MADRID)
    return int(start.timestamp() * 1000), int(end.timestamp() * 1000)


def reservations_starting(aws, env, day):
    """Every reservation starting on the local `day`, read from GSI3 with boto3."""
    lo, hi = local_day_ms(day)
    items, start_key = [], None
    while True:
        kw = dict(TableName=env["TABLE_NAME"], IndexName="GSI3",
                  KeyConditionExpression="GSI3PK = :pk AND GSI3SK BETWEEN :lo AND :hi",
                  ExpressionAttributeValues={":pk": {"S": "RESERVATIONS"},
                                             ":lo": {"S": f"{lo:015}"}, ":hi": {"S": f"{hi - 1:015}#~"}})
        if start_key:
            kw["ExclusiveStartKey"] = start_key
        out = aws["ddb"].query(**kw)
        items += [doc_of(i) for i in out["Items"]]
        start_key = out.get("LastEvaluatedKey")
        if not start_key:
            return items


def money(entries):
    gross = sum(e["amount"]["minor"] for e in entries if e["kind"] == "charge")
    refunds = sum(e["amount"]["minor"] for e in entries if e["kind"] == "refund")
    return gross, refunds, gross - refunds


def eur(figures):
    rev = [r for r in figures["revenue"] if r["currency"] == "EUR"]
    if not rev:
        return 0, 0, 0
    return rev[0]["grossMinor"], rev[0]["refundsMinor"], rev[0]["netMinor"]


def test_the_summary_and_the_csv_equal_the_ledger_items_to_the_cent(api, aws, env, admin, service, customer):
    # Given, five days ahead, a kept booking, one cancelled early (refunded in full) and a
    # declined one
    starts = [a_start(api, service, days_ahead=5, index=i) for i in (0, 3, 6)]
    token = customer["token"]
    status, kept, _ = api.book(token, service["id"], starts[0])
    assert status == 201, kept
    status, gone, _ = api.book(token, service["id"], starts[1])
    assert status == 201, gone
    status, body, _ = api.call("reserve", "POST", f"/api/reservations/{gone['id']}/cancel", token)
    assert status == 200 and body["status"] == "CANCELLED", body
    status, body, _ = api.book(token, service["id"], starts[2], "pm_card_chargeDeclined")
    assert status == 402, body

    # When the admin reads that day's summary
    day = starts[0][:10]
    status, summary, _ = api.call("services", "GET", f"/api/reports/summary?from={day}&to={day}", admin)
    assert status == 200, summary

    # Then this service's row counts its three reservations and its money is its ledger items
    row = next(s for s in summary["services"] if s["serviceId"] == service["id"])
    assert row["reservations"]["CONFIRMED"] == 1
    assert row["reservations"]["CANCELLED"] == 1 and row["cancellations"] == 1
    assert row["reservations"]["FAILED"] == 1
    assert row["bookedMinutes"] == 60
    assert row["openMinutes"] == 9 * 60  # open 09:00-18:00, one place
    mine = ledger(aws, env, kept["id"]) + ledger(aws, env, gone["id"])
    assert eur(row) == money(mine) == (8000, 4000, 4000)
    # And the totals are the ledger items of every reservation starting that day
    everything = reservations_starting(aws, env, day)
    assert sum(summary["totals"]["reservations"].values()) == len(everything)
    all_entries = [e for r in everything for e in ledger(aws, env, r["id"])]
    assert eur(summary["totals"]) == money(all_entries)

    # And the CSV of the service has a header row, Madrid times and decimal amounts
    status, text, headers = api.call(
        "services", "GET", f"/api/reports/reservations?from={day}&to={day}&serviceId={service['id']}&format=csv", admin)
    assert status == 200, text
    assert headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0][:4] == ["reservation_id", "status", "service_id", "service"]
    by_id = {r[0]: dict(zip(rows[0], r)) for r in rows[1:]}
    assert len(by_id) == 3
    assert by_id[kept["id"]]["start"] == starts[0]
    assert [by_id[kept["id"]][k] for k in ("currency", "price", "charged", "refunded", "net")] == \
        ["EUR", "40.00", "40.00", "0.00", "40.00"]
    assert [by_id[gone["id"]][k] for k in ("status", "charged", "refunded", "net")] == \
        ["CANCELLED", "40.00", "40.00", "0.00"]


def test_customers_get_403_on_reports_and_read_their_own_history(api, aws, env, admin, service, customer):
    day = a_start(api, service)[:10]
    for path in (f"/api/reports/summary?from={day}&to={day}", f"/api/reports/reservations?from={day}&to={day}"):
        status, body, _ = api.call("services", "GET", path, customer["token"])
        assert status == 403, body

    start = a_start(api, service, days_ahead=6)
    status, booked, _ = api.book(customer["token"], service["id"], start)
    assert status == 201, booked
    status, history, _ = api.call("reserve", "GET", "/api/reservations/history", customer["token"])
    assert status == 200, history
    assert history["customerId"] == customer["id"]
    [item] = history["items"]
    assert item["id"] == booked["id"] and item["startLocal"] == start and item["upcoming"] is True
    assert [p["kind"] for p in item["payments"]] == ["charge"]
    assert item["payments"][0]["reference"] == ledger(aws, env, booked["id"])[0]["gatewayReference"]

    # And a visit outcome before the start is refused, and the reservation is unchanged
    status, body, _ = api.call("reserve", "POST", f"/api/reservations/{booked['id']}/complete", admin)
    assert status == 422 and body["errors"][0]["field"] == "start", body
    status, body, _ = api.call("reserve", "POST", f"/api/reservations/{booked['id']}/no-show", customer["token"])
    assert status == 403, body
    _, again, _ = api.call("reserve", "GET", f"/api/reservations/{booked['id']}", customer["token"])
    assert again["status"] == "CONFIRMED"
