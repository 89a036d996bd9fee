"""Gives an existing user the admin role, straight in the table: how the first admin of a
fresh deployment is made (every later role change goes through PUT /api/users/{id}/role).

    python tools/promote_admin.py --table booking-booking ana@example.com
    AWS_ENDPOINT_URL=http://127.0.0.1:5000 python tools/promote_admin.py --table booking-local-booking ana@example.com

Uses the standard AWS credentials and region (and AWS_ENDPOINT_URL for the local cloud).
"""

import argparse
import json
import sys

import boto3


def promote(ddb, table, email):
    """Sets role=admin on the user with this email; returns the user id. The write is
    conditioned on the document it read, so a concurrent change is not overwritten."""
    email = email.strip().lower()
    link = ddb.get_item(TableName=table, Key={"PK": {"S": f"EMAIL#{email}"}, "SK": {"S": "EMAIL"}},
                        ConsistentRead=True).get("Item")
    if not link:
        raise LookupError(f"no user registered with {email}")
    key = {"PK": {"S": f"USER#{link['userId']['S']}"}, "SK": {"S": "USER"}}
    item = ddb.get_item(TableName=table, Key=key, ConsistentRead=True)["Item"]
    doc = json.loads(item["doc"]["S"])
    doc["role"] = "admin"
    ddb.update_item(TableName=table, Key=key, UpdateExpression="SET #d = :new",
                    ConditionExpression="#d = :old", ExpressionAttributeNames={"#d": "doc"},
                    ExpressionAttributeValues={":new": {"S": json.dumps(doc)}, ":old": item["doc"]})
    return link["userId"]["S"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--table", required=True, help="the stack's TableName output")
    ap.add_argument("email")
    args = ap.parse_args()
    try:
        user = promote(boto3.client("dynamodb"), args.table, args.email)
    except LookupError as e:
        sys.exit(str(e))
    print(f"{args.email} ({user}) is now an admin")


if __name__ == "__main__":
    main()
