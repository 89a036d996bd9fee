"""The notification worker behind SQS: partial batch failures, redrive to the DLQ, and at
most one email per (reservation, event)."""

import json
import time
import uuid

from conftest import emails, wait_for


def notification(email, event="confirmed"):
    return {
        "event": event, "reservationId": "01KB" + uuid.uuid4().hex[:22].upper(),  # hex digits are valid ULID characters
        "customerEmail": email, "customerName": "E2E", "serviceName": "Massage",
        "start": "2026-12-01T09:00:00Z", "end": "2026-12-01T10:00:00Z", "timeZone": "Europe/Madrid",
        "amountMinor": 4000, "currency": "EUR", "paymentReference": "ch_x", "refundMinor": None, "reason": None,
    }


def test_a_failing_message_is_retried_alone_then_dead_lettered_and_nothing_is_sent_twice(aws, env):
    sqs = aws["sqs"]
    good = [notification(f"batch-{uuid.uuid4().hex[:8]}@example.com") for _ in range(3)]
    poison = "this is not a notification " + uuid.uuid4().hex
    entries = [{"Id": str(i), "MessageBody": json.dumps(n)} for i, n in enumerate(good)]
    entries.append({"Id": "poison", "MessageBody": poison})
    # The same good message twice: a duplicate delivery must not send a second email.
    entries.append({"Id": "dup", "MessageBody": json.dumps(good[0])})
    sqs.send_message_batch(QueueUrl=env["NOTIFY_QUEUE_URL"], Entries=entries)

    for n in good:
        wait_for(lambda n=n: emails(env, n["customerEmail"]), timeout=60, what=f"email to {n['customerEmail']}")

    def in_dlq():
        msgs = sqs.receive_message(QueueUrl=env["NOTIFY_DLQ_URL"], MaxNumberOfMessages=10,
                                   VisibilityTimeout=0, AttributeNames=["All"]).get("Messages", [])
        return [m for m in msgs if m["Body"] == poison]

    dead = wait_for(in_dlq, timeout=120, what="the poison message in the DLQ")
    assert int(dead[0]["Attributes"]["ApproximateReceiveCount"]) >= 5
    time.sleep(2)
    for n in good:
        assert len(emails(env, n["customerEmail"])) == 1, n["customerEmail"]
