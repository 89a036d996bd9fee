"""Booking and paying through the reserve function: the real state machine runs the task
functions; the DynamoDB items and the emails SES recorded are checked directly."""

import uuid

from conftest import a_start, doc_of, emails, get_item, ledger, parallel, unique_email, wait_for


def reservation(aws, env, rid):
    return doc_of(get_item(aws, env, f"RES#{rid}", "RES"))


def test_a_booking_is_confirmed_charged_once_stored_and_emailed(api, aws, env, service, customer):
    start = a_start(api, service)
    status, body, _ = api.book(customer["token"], service["id"], start)
    assert status == 201, body
    assert body["status"] == "CONFIRMED" and body["start"] == start
    assert body["payment"]["reference"].startswith("ch_")

    stored = reservation(aws, env, body["id"])
    assert stored["status"] == "CONFIRMED"
    assert [e["kind"] for e in ledger(aws, env, body["id"])] == ["charge"]
    item = get_item(aws, env, f"RES#{body['id']}", "RES")
    assert item["GSI1PK"]["S"] == f"CUST#{customer['id']}"
    wait_for(lambda: [m for m in emails(env, customer["email"]) if "confirmed" in m["subject"].lower()],
             what="the confirmation email")


def test_a_declined_card_is_402_frees_the_slot_and_sends_a_failure_email(api, aws, env, service, customer):
    start = a_start(api, service)
    status, body, _ = api.book(customer["token"], service["id"], start, "pm_card_chargeDeclined")
    assert status == 402, body
    day = start[:10]
    _, avail, _ = api.call("services", "GET", f"/api/services/{service['id']}/availability?from={day}&to={day}")
    assert start in [s["start"] for s in avail["slots"]]
    _, mine, _ = api.call("reserve", "GET", "/api/reservations", customer["token"])
    failed = mine["items"][0]
    assert failed["status"] == "FAILED" and failed["failure"]["code"] == "PaymentDeclined"
    assert ledger(aws, env, failed["id"]) == []
    wait_for(lambda: [m for m in emails(env, customer["email"]) if "not completed" in m["subject"].lower()],
             what="the failure email")


def test_a_processing_error_is_retried_then_503_and_the_slot_is_released(api, aws, env, service, customer):
    start = a_start(api, service)
    status, body, headers = api.book(customer["token"], service["id"], start, "pm_card_processingError")
    assert status == 503 and "retry-after" in {k.lower() for k in headers}, body
    _, mine, _ = api.call("reserve", "GET", "/api/reservations", customer["token"])
    assert mine["items"][0]["failure"]["code"] == "PaymentTransient"
    stored = reservation(aws, env, mine["items"][0]["id"])
    assert stored["status"] == "FAILED"
    day = start[:10]
    _, avail, _ = api.call("services", "GET", f"/api/services/{service['id']}/availability?from={day}&to={day}")
    assert start in [s["start"] for s in avail["slots"]]


def test_replaying_an_idempotency_key_returns_the_same_201_and_charges_once(api, aws, env, service, customer):
    start = a_start(api, service)
    key = str(uuid.uuid4())
    first = api.book(customer["token"], service["id"], start, key=key)
    again = api.book(customer["token"], service["id"], start, key=key)
    assert first[0] == again[0] == 201
    assert first[1] == again[1]
    assert [e["kind"] for e in ledger(aws, env, first[1]["id"])] == ["charge"]
    other = api.book(customer["token"], service["id"], a_start(api, service, index=1), key=key)
    assert other[0] == 422, other[1]


def test_twenty_concurrent_bookings_for_one_place_have_one_winner_and_one_charge(api, aws, env, service):
    start = a_start(api, service, days_ahead=4)
    tokens = []
    for _ in range(20):
        email = unique_email("racer")
        assert api.register(email)[0] == 201
        tokens.append(api.login(email))
    results = parallel(20, lambda i: api.book(tokens[i], service["id"], start))
    statuses = sorted(r[0] for r in results)
    assert statuses.count(201) == 1 and statuses.count(409) == 19, statuses
    winner = next(r[1] for r in results if r[0] == 201)
    assert [e["kind"] for e in ledger(aws, env, winner["id"])] == ["charge"]
    all_items = aws["ddb"].query(TableName=env["TABLE_NAME"], IndexName="GSI2",
                                 KeyConditionExpression="GSI2PK = :p",
                                 ExpressionAttributeValues={":p": {"S": f"SVC#{service['id']}"}})["Items"]
    confirmed = [i for i in all_items if doc_of(i)["status"] == "CONFIRMED"]
    assert len(confirmed) == 1


def test_cancelling_refunds_by_policy_frees_the_slot_and_emails(api, aws, env, service, customer):
    start = a_start(api, service, days_ahead=5)
    status, booked, _ = api.book(customer["token"], service["id"], start)
    assert status == 201, booked
    status, cancelled, _ = api.call("reserve", "POST", f"/api/reservations/{booked['id']}/cancel", customer["token"])
    assert status == 200, cancelled
    assert cancelled["status"] == "CANCELLED" and cancelled["refund"]["amountMinor"] == 4000
    assert sorted(e["kind"] for e in ledger(aws, env, booked["id"])) == ["charge", "refund"]
    again = api.call("reserve", "POST", f"/api/reservations/{booked['id']}/cancel", customer["token"])
    assert again[0] == 200 and again[1] == cancelled
    assert sorted(e["kind"] for e in ledger(aws, env, booked["id"])) == ["charge", "refund"]
    day = start[:10]
    _, avail, _ = api.call("services", "GET", f"/api/services/{service['id']}/availability?from={day}&to={day}")
    assert start in [s["start"] for s in avail["slots"]]
    wait_for(lambda: [m for m in emails(env, customer["email"]) if "cancel" in m["subject"].lower()],
             what="the cancellation email")


def test_another_customers_reservation_is_404(api, service, customer):
    start = a_start(api, service)
    status, booked, _ = api.book(customer["token"], service["id"], start)
    assert status == 201
    email = unique_email("mallory")
    api.register(email)
    mallory = api.login(email)
    assert api.call("reserve", "GET", f"/api/reservations/{booked['id']}", mallory)[0] == 404
    assert api.call("reserve", "POST", f"/api/reservations/{booked['id']}/cancel", mallory)[0] == 404
