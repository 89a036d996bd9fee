"""Creates, in the local cloud (moto), the DynamoDB table and SQS queues that template.yaml
declares, with the same names and settings, and verifies the SES sender. The template is the
single definition: nothing here repeats a key schema or a queue setting.

    python tools/localcloud/resources.py --endpoint http://127.0.0.1:5000 --stack booking-local \
        [--table-name NAME] [--sender noreply@example.com]

Prints a JSON object with the names and URLs it created (for the scripts that start the
functions). --table-name creates the template's table under another name (tests use a fresh
table each).
"""

import argparse
import json
import os
import sys

import boto3
import yaml

ACCOUNT = "123456789012"  # moto's default account


class Tagged:
    def __init__(self, tag, value):
        self.tag, self.value = tag, value


def _tag(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return Tagged(suffix, value)


class CfnLoader(yaml.SafeLoader):
    pass


CfnLoader.add_multi_constructor("!", _tag)


def load_template(path):
    with open(path) as f:
        return yaml.load(f, Loader=CfnLoader)


def resolve(value, ctx):
    """Resolves the intrinsics the table and queues use: !Sub, !Ref, !GetAtt X.Arn."""
    if isinstance(value, Tagged):
        if value.tag == "Sub":
            out = value.value
            for k, v in ctx["vars"].items():
                out = out.replace("${" + k + "}", v)
            return out
        if value.tag == "Ref":
            return ctx["vars"][value.value]
        if value.tag == "GetAtt":
            name, attr = value.value.split(".") if isinstance(value.value, str) else value.value
            return ctx["attrs"][(name, attr)]
        raise ValueError(f"unsupported intrinsic !{value.tag}")
    if isinstance(value, dict):
        if len(value) == 1 and next(iter(value)).startswith("Fn::") or "Ref" in value and len(value) == 1:
            raise ValueError(f"unsupported intrinsic {value}")
        return {k: resolve(v, ctx) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, ctx) for v in value]
    return value


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--stack", default="booking-local")
    ap.add_argument("--template", default=os.path.join(os.path.dirname(__file__), "..", "..", "template.yaml"))
    ap.add_argument("--table-name")
    ap.add_argument("--sender")
    args = ap.parse_args()
    if not args.endpoint.startswith(("http://127.", "http://localhost")):
        sys.exit("refusing a non-loopback endpoint: this script only sets up the local cloud")
    # moto accepts any credentials; dummy ones keep a developer's real ones out of it.
    os.environ["AWS_ACCESS_KEY_ID"] = "testing"
    os.environ["AWS_SECRET_ACCESS_KEY"] = "testing"
    os.environ.pop("AWS_SESSION_TOKEN", None)
    region = os.environ.get("AWS_REGION", "us-east-1")
    kw = dict(endpoint_url=args.endpoint, region_name=region)
    ddb, sqs, ses = boto3.client("dynamodb", **kw), boto3.client("sqs", **kw), boto3.client("ses", **kw)

    resources = load_template(args.template)["Resources"]
    ctx = {"vars": {"AWS::StackName": args.stack, "AWS::Region": region, "AWS::AccountId": ACCOUNT}, "attrs": {}}
    out = {"queues": {}}

    # Queues first, dead-letter queues before the queues that point at them.
    queues = {n: r for n, r in resources.items() if r["Type"] == "AWS::SQS::Queue"}
    pending = dict(queues)
    while pending:
        progressed = False
        for name, res in list(pending.items()):
            try:
                props = resolve(res.get("Properties", {}), ctx)
            except KeyError:
                continue  # depends on a queue not created yet
            attrs = {}
            for k, v in props.items():
                if k == "QueueName":
                    continue
                attrs[k] = json.dumps(v) if isinstance(v, dict) else str(v)
            qname = props.get("QueueName", name)
            url = sqs.create_queue(QueueName=qname, Attributes=attrs)["QueueUrl"]
            arn = f"arn:aws:sqs:{region}:{ACCOUNT}:{qname}"
            ctx["attrs"][(name, "Arn")] = arn
            ctx["attrs"][(name, "QueueName")] = qname
            ctx["vars"][name] = url
            out["queues"][name] = {"name": qname, "url": url, "arn": arn}
            del pending[name]
            progressed = True
        if not progressed:
            sys.exit(f"cannot resolve queues {sorted(pending)}")

    tables = {n: r for n, r in resources.items() if r["Type"] == "AWS::DynamoDB::Table"}
    out["tables"] = {}
    for name, res in tables.items():
        props = resolve(res["Properties"], ctx)
        table = args.table_name or props["TableName"]
        create = {k: props[k] for k in ("AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes", "BillingMode") if k in props}
        ddb.create_table(TableName=table, **create)
        ttl = props.get("TimeToLiveSpecification")
        if ttl:
            ddb.update_time_to_live(TableName=table, TimeToLiveSpecification=ttl)
        out["tables"][name] = table

    if args.sender:
        ses.verify_email_identity(EmailAddress=args.sender)
        out["sender"] = args.sender
    print(json.dumps(out))


if __name__ == "__main__":
    main()
