"""End-to-end fixtures: the production topology on this machine (scripts/local-cloud).

The HTTP functions run under cargo lambda watch, the stores are DynamoDB in moto, the
workflows are the real ASL files run by the local Step Functions endpoint, notifications go
through SQS to the notify function and SES in moto. Tests talk HTTP to the functions and
read DynamoDB and the emails SES recorded through boto3, never through the code under test.

Isolation: one table per local cloud, so every test makes its own service and customers.
"""

import json
import os
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import sys

import boto3
import pytest
import requests

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
from promote_admin import promote  # noqa: E402  (the operator's tool, exercised here)

REQUIRED = ["E2E_AUTH_URL", "E2E_SERVICES_URL", "E2E_RESERVE_URL", "MOTO_URL", "TABLE_NAME",
            "NOTIFY_QUEUE_URL", "NOTIFY_DLQ_URL"]


def _env():
    missing = [k for k in REQUIRED if not os.environ.get(k)]
    if missing:
        pytest.exit(f"the local cloud is not running (missing {missing}); run scripts/test e2e", returncode=2)
    moto = os.environ["MOTO_URL"]
    assert moto.startswith("http://127."), "e2e tests only ever talk to the local cloud"
    return {k: os.environ[k] for k in REQUIRED}


ENV = None


@pytest.fixture(scope="session")
def env():
    global ENV
    ENV = ENV or _env()
    return ENV


@pytest.fixture(scope="session")
def aws(env):
    kw = dict(endpoint_url=env["MOTO_URL"], region_name="us-east-1",
              aws_access_key_id="testing", aws_secret_access_key="testing")
    return {"ddb": boto3.client("dynamodb", **kw), "sqs": boto3.client("sqs", **kw)}


class Api:
    """A small HTTP client for the three HTTP functions."""

    def __init__(self, env):
        self.base = {"auth": env["E2E_AUTH_URL"], "services": env["E2E_SERVICES_URL"],
                     "reserve": env["E2E_RESERVE_URL"]}
        self.http = requests.Session()

    def call(self, fn, method, path, token=None, body=None, headers=None):
        h = dict(headers or {})
        if token:
            h["Authorization"] = f"Bearer {token}"
        r = self.http.request(method, self.base[fn] + path, json=body, headers=h, timeout=120)
        try:
            data = r.json() if r.content else None
        except ValueError:
            data = r.text
        return r.status_code, data, r.headers

    def register(self, email, password="a long passphrase", name="E2E User"):
        return self.call("auth", "POST", "/api/auth/register", body={"email": email, "password": password, "name": name})

    def login(self, email, password="a long passphrase"):
        status, body, _ = self.call("auth", "POST", "/api/auth/login", body={"email": email, "password": password})
        assert status == 200, body
        return body["token"]

    def book(self, token, service_id, start, method="pm_card_visa", key=None):
        return self.call("reserve", "POST", "/api/reservations", token,
                         {"serviceId": service_id, "start": start, "paymentMethod": method},
                         {"Idempotency-Key": key or str(uuid.uuid4())})


@pytest.fixture(scope="session")
def api(env):
    return Api(env)


def unique_email(prefix="user"):
    return f"{prefix}-{uuid.uuid4().hex[:12]}@example.com"


def get_item(aws, env, pk, sk):
    item = aws["ddb"].get_item(TableName=env["TABLE_NAME"], Key={"PK": {"S": pk}, "SK": {"S": sk}}, ConsistentRead=True)
    return item.get("Item")


def doc_of(item):
    return json.loads(item["doc"]["S"])


@pytest.fixture(scope="session")
def admin(api, aws, env):
    """An admin: registered through the API, then promoted in the table, as an operator
    bootstraps the first admin of a fresh deployment (docs/deploy.md)."""
    email = unique_email("admin")
    status, user, _ = api.register(email)
    assert status == 201, user
    assert promote(aws["ddb"], env["TABLE_NAME"], email) == user["id"]
    token = api.login(email)
    # Opening hours every day, 09:00-18:00 in Madrid, 30-minute slots.
    day = [{"open": "09:00", "close": "18:00"}]
    status, body, _ = api.call("services", "PUT", "/api/settings", token, {
        "timeZone": "Europe/Madrid", "slotMinutes": 30,
        "weeklyHours": {d: day for d in ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]}})
    assert status == 200, body
    return token


@pytest.fixture
def service(api, admin):
    """A fresh service of this test's own (60 min + 30 buffer, one place, 24 h full refund,
    50 % after), so tests never share slots."""
    status, body, _ = api.call("services", "POST", "/api/services", admin, {
        "name": f"E2E {uuid.uuid4().hex[:6]}", "durationMinutes": 60, "bufferMinutes": 30,
        "priceMinor": 4000, "currency": "EUR", "capacity": 1,
        "cancellation": {"fullRefundHoursBefore": 24, "lateRefundPercent": 50}})
    assert status == 201, body
    return body


@pytest.fixture
def customer(api):
    email = unique_email("customer")
    status, body, _ = api.register(email)
    assert status == 201, body
    return {"email": email, "id": body["id"], "token": api.login(email)}


def a_start(api, service, days_ahead=3, index=0):
    """A bookable start of `service` a few days ahead, from the availability endpoint."""
    day = time.strftime("%Y-%m-%d", time.gmtime(time.time() + days_ahead * 86400))
    status, body, _ = api.call("services", "GET", f"/api/services/{service['id']}/availability?from={day}&to={day}")
    assert status == 200, body
    assert len(body["slots"]) > index, body
    return body["slots"][index]["start"]


def ledger(aws, env, reservation_id):
    out = aws["ddb"].query(TableName=env["TABLE_NAME"], ConsistentRead=True,
                           KeyConditionExpression="PK = :pk AND begins_with(SK, :l)",
                           ExpressionAttributeValues={":pk": {"S": f"RES#{reservation_id}"}, ":l": {"S": "LEDGER#"}})
    return [doc_of(i) for i in out["Items"]]


def emails(env, to=None):
    """The emails SES in moto recorded, optionally for one recipient."""
    data = requests.get(env["MOTO_URL"] + "/moto-api/data.json", timeout=10).json()
    msgs = data.get("ses", {}).get("Message", [])
    msgs = msgs.values() if isinstance(msgs, dict) else msgs
    out = []
    for m in msgs:
        dest = m.get("destinations") or m.get("destination") or {}
        addrs = dest.get("ToAddresses", []) if isinstance(dest, dict) else dest
        if to is None or to in addrs or to in json.dumps(m):
            out.append(m)
    return out


def wait_for(predicate, timeout=30, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def parallel(n, fn):
    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(fn, range(n)))
