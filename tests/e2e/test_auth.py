"""Registration and login through the auth function, against DynamoDB in moto."""

from conftest import get_item, unique_email


def test_a_customer_registers_logs_in_and_is_stored_with_an_argon2id_hash(api, aws, env):
    email = unique_email("ana")
    status, user, _ = api.register(email.upper())
    assert status == 201, user
    assert user["email"] == email and user["role"] == "customer"

    token = api.login(email)
    status, me, _ = api.call("auth", "GET", "/api/auth/me", token)
    assert (status, me["id"]) == (200, user["id"])

    stored = get_item(aws, env, f"USER#{user['id']}", "USER")
    assert '"$argon2id$v=19$m=19456,t=2,p=1$' in stored["doc"]["S"]
    assert "a long passphrase" not in stored["doc"]["S"]
    assert get_item(aws, env, f"EMAIL#{email}", "EMAIL")["userId"]["S"] == user["id"]


def test_a_duplicate_email_and_a_wrong_password_are_refused(api):
    email = unique_email("dup")
    assert api.register(email)[0] == 201
    status, body, headers = api.register(email)
    assert status == 409 and headers["content-type"] == "application/problem+json", body
    status, body, _ = api.call("auth", "POST", "/api/auth/login", body={"email": email, "password": "wrong password"})
    assert status == 401, body


def test_a_customer_token_on_an_admin_route_is_403_and_no_token_401(api, customer):
    assert api.call("auth", "GET", "/api/users", customer["token"])[0] == 403
    assert api.call("auth", "GET", "/api/users")[0] == 401
