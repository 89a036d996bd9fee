"""Creates, in the local cloud (moto), the DynamoDB table, SQS queues and Secrets Manager
secrets that template.yaml declares, with the same names and settings, and verifies the SES
sender. The template is the single definition: nothing here repeats a key schema or a queue
setting.

    python tools/localcloud/resources.py --endpoint http://127.0.0.1:5000 --stack booking-local \
        [--table-name NAME] [--sender noreply@example.com] [--default-secret JwtSecret]
        [--parameter NAME=VALUE ...]

Prints a JSON object with the names, URLs and ARNs it created (for the scripts that start the
functions); never a secret's value. --table-name creates the template's table under another name
(tests use a fresh table each). A secret's value is generated as its GenerateSecretString asks
(a local random value, as Secrets Manager would). --default-secret LOGICAL_ID creates a secret
generated the same way (64 letters and digits, named STACK-LOGICAL_ID) when the template declares
no secret at all yet.
"""

import argparse
import json
import os
import re
import secrets
import string
import sys

import boto3

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # tools/
from cfn_yaml import CfnLoader, Intrinsic, load_template  # noqa: E402,F401 (CfnLoader: for cloud.py)

ACCOUNT = "123456789012"  # moto's default account

# What cloud.py, which imports it from here with CfnLoader, calls a short-form tag.
Tagged = Intrinsic


def intrinsic(value):
    """(function, argument) of an intrinsic in its long form (`{"Ref": x}`, `{"Fn::Sub": y}`,
    as cfn_yaml reads the short form too), or None for any other value."""
    if isinstance(value, dict) and len(value) == 1:
        ((key, arg),) = value.items()
        if key in ("Ref", "Condition") or key.startswith("Fn::"):
            return key.removeprefix("Fn::"), arg
    return None


def resolve(value, ctx):
    """Resolves the intrinsics the table and queues use: !Sub, !Ref, !Join, !GetAtt X.Arn."""
    function = intrinsic(value)
    if function:
        name, arg = function
        if name == "Sub":
            if isinstance(arg, list):
                template, extra = arg[0], resolve(arg[1], ctx)
            else:
                template, extra = arg, {}

            def var(m):
                key = m.group(1)
                if key in extra:
                    return str(extra[key])
                if key in ctx["vars"]:
                    return str(ctx["vars"][key])
                if "." in key:
                    return str(ctx["attrs"][tuple(key.split(".", 1))])
                raise KeyError(key)

            return re.sub(r"\$\{([^}!]+)\}", var, template)
        if name == "Ref":
            return ctx["vars"][arg]
        if name == "Join":
            sep, items = arg
            return sep.join(str(i) for i in resolve(items, ctx))
        if name == "GetAtt":
            resource, attr = arg.split(".", 1) if isinstance(arg, str) else arg
            return ctx["attrs"][(resource, attr)]
        raise ValueError(f"unsupported intrinsic !{name}")
    if isinstance(value, dict):
        return {k: resolve(v, ctx) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, ctx) for v in value]
    return value


def generate_secret(spec):
    """A value as Secrets Manager's GenerateSecretString would make it."""
    spec = spec or {}
    length = int(spec.get("PasswordLength", 32))
    classes = []
    if not spec.get("ExcludeLowercase"):
        classes.append(string.ascii_lowercase)
    if not spec.get("ExcludeUppercase"):
        classes.append(string.ascii_uppercase)
    if not spec.get("ExcludeNumbers"):
        classes.append(string.digits)
    if not spec.get("ExcludePunctuation"):
        classes.append("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
    if spec.get("IncludeSpace"):
        classes.append(" ")
    excluded = set(spec.get("ExcludeCharacters", ""))
    classes = [[c for c in cls if c not in excluded] for cls in classes]
    classes = [cls for cls in classes if cls]
    alphabet = [c for cls in classes for c in cls]
    if not alphabet:
        raise ValueError("GenerateSecretString leaves no characters to use")
    while True:
        value = "".join(secrets.choice(alphabet) for _ in range(length))
        if not spec.get("RequireEachIncludedType", True) or length < len(classes):
            break
        if all(any(c in cls for c in value) for cls in classes):
            break
    template = spec.get("SecretStringTemplate")
    if template is not None:
        doc = json.loads(template)
        doc[spec["GenerateStringKey"]] = value
        return json.dumps(doc)
    return value


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--stack", default="booking-local")
    ap.add_argument("--template", default=os.path.join(os.path.dirname(__file__), "..", "..", "template.yaml"))
    ap.add_argument("--table-name")
    ap.add_argument("--sender")
    ap.add_argument("--default-secret", action="append", default=[], metavar="LOGICAL_ID")
    ap.add_argument("--parameter", action="append", default=[], metavar="NAME=VALUE",
                    help="a template parameter's value instead of its Default")
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
    sm = boto3.client("secretsmanager", **kw)

    template = load_template(args.template)
    resources = template["Resources"]
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
        ctx["vars"][name] = table
        ctx["attrs"][(name, "Arn")] = f"arn:aws:dynamodb:{region}:{ACCOUNT}:table/{table}"

    declared = {n: r for n, r in resources.items() if r["Type"] == "AWS::SecretsManager::Secret"}
    if not declared:
        declared = {
            name: {"Properties": {"GenerateSecretString": {"PasswordLength": 64, "ExcludePunctuation": True}}}
            for name in args.default_secret
        }
    out["secrets"] = {}
    for name, res in declared.items():
        props = resolve(res.get("Properties", {}), ctx)
        sname = props.get("Name") or f"{args.stack}-{name}"
        value = props["SecretString"] if "SecretString" in props else generate_secret(props.get("GenerateSecretString"))
        arn = sm.create_secret(Name=sname, SecretString=value)["ARN"]
        ctx["vars"][name] = arn
        out["secrets"][name] = {"name": sname, "arn": arn}

    if args.sender:
        ses.verify_email_identity(EmailAddress=args.sender)
        out["sender"] = args.sender

    describe_compute(template, resources, ctx, out, args, region)
    print(json.dumps(out))


def describe_compute(template, resources, ctx, out, args, region):
    """The functions and state machines as the local cloud runs them: a function is named by
    its cargo-lambda binary (the name cargo lambda watch serves it under), a state machine
    STACK-<its ASL file's stem> (booking.asl.json -> booking-local-booking). Reports each
    function's environment as the template sets it (Globals + its own Variables), resolved
    against the local resources, and each state machine's DefinitionSubstitutions."""
    for name, param in template.get("Parameters", {}).items():
        if "Default" in param:
            default = param["Default"]
            ctx["vars"][name] = ",".join(map(str, default)) if isinstance(default, list) else str(default)
    if args.sender and "SenderEmail" in template.get("Parameters", {}):
        ctx["vars"]["SenderEmail"] = args.sender
    for assignment in args.parameter:
        name, _, value = assignment.partition("=")
        if name not in template.get("Parameters", {}):
            sys.exit(f"--parameter {name}: template.yaml has no such parameter")
        ctx["vars"][name] = value
    ctx["vars"].update({"AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com"})

    functions = {n: r for n, r in resources.items() if r["Type"] in ("AWS::Serverless::Function", "AWS::Lambda::Function")}
    out["functions"] = {}
    for name, res in functions.items():
        binary = (res.get("Metadata") or {}).get("BuildProperties", {}).get("Binary") or name
        arn = f"arn:aws:lambda:{region}:{ACCOUNT}:function:{binary}"
        ctx["vars"][name] = binary
        ctx["attrs"][(name, "Arn")] = arn
        events = (res.get("Properties") or {}).get("Events") or {}
        http = any(isinstance(e, dict) and e.get("Type") in ("HttpApi", "Api") for e in events.values())
        out["functions"][name] = {"name": binary, "arn": arn, "http": http}

    machines = {n: r for n, r in resources.items() if r["Type"] == "AWS::Serverless::StateMachine"}
    for name, res in machines.items():
        props = res.get("Properties") or {}
        uri = props.get("DefinitionUri")
        if not isinstance(uri, str):
            sys.exit(f"{name}: only a local DefinitionUri file is supported")
        stem = os.path.basename(uri).removesuffix(".json").removesuffix(".asl")
        sm_name = props.get("Name") if isinstance(props.get("Name"), str) else f"{args.stack}-{stem}"
        arn = f"arn:aws:states:{region}:{ACCOUNT}:stateMachine:{sm_name}"
        ctx["vars"][name] = arn
        ctx["attrs"][(name, "Arn")] = arn
        ctx["attrs"][(name, "Name")] = sm_name
    out["stateMachines"] = {}
    for name, res in machines.items():
        props = res.get("Properties") or {}
        try:
            subs = resolve(props.get("DefinitionSubstitutions") or {}, ctx)
        except (KeyError, ValueError) as e:
            sys.exit(f"{name}: cannot resolve DefinitionSubstitutions locally ({e})")
        out["stateMachines"][name] = {
            "name": ctx["attrs"][(name, "Name")],
            "arn": ctx["vars"][name],
            "definition": props["DefinitionUri"],
            "substitutions": subs,
        }

    glob = (((template.get("Globals") or {}).get("Function") or {}).get("Environment") or {}).get("Variables") or {}
    union, warnings = {}, []
    for name, res in functions.items():
        own = (((res.get("Properties") or {}).get("Environment") or {}).get("Variables")) or {}
        env = {}
        for key, value in {**glob, **own}.items():
            try:
                env[key] = str(resolve(value, ctx))
            except (KeyError, ValueError) as e:
                warnings.append(f"{name}: {key} not resolvable locally ({e})")
                continue
            if key in union and union[key] != env[key]:
                warnings.append(f"{key}: {name} sets {env[key]!r}, another function {union[key]!r}")
            union.setdefault(key, env[key])
        out["functions"][name]["env"] = env
    out["functionEnv"] = union
    out["warnings"] = warnings


if __name__ == "__main__":
    main()
