#!/usr/bin/env python3
"""Checks of template.yaml that cfn-lint and `sam validate --lint` do not make.

    .venv/bin/python tools/check_template.py [TEMPLATE]   # default: template.yaml at the repo root
    .venv/bin/python tools/check_template.py --self-test  # proves each check catches its case

It fails (exit 1, one line per finding) on:
- a policy statement granting a wildcard action (`*`, `service:*`, `service:Get*`) or Allow with
  NotAction, anywhere in the template: SAM inline `Policies`, IAM roles and policies, resource
  policies; SAM policy templates are expanded (from the installed SAM translator) and checked
  the same way, and broad AWS managed policies (AdministratorAccess, *FullAccess, ...) are
  refused;
- `Resource: "*"` for an action that supports resource-level permissions;
- a SAM function with neither `Policies` nor `Role` (every function here calls AWS);
- an SQS queue whose VisibilityTimeout is shorter than 6x the Timeout of a function it
  triggers, and an SQS event source without `ReportBatchItemFailures` (SAM `SQS` events and
  `AWS::Lambda::EventSourceMapping`);
- a state machine that is not EXPRESS;
- a `${...}` placeholder of a state machine's definition (its DefinitionUri file is read)
  without a DefinitionSubstitutions key, or a key no placeholder uses;
- an HttpApi CORS configuration allowing origin `*` with credentials;
- a DynamoDB action the adapters in crates/booking-aws/src/dynamo call (SDK operations and
  transaction items, read from the Rust source) that no function may perform on the table.

Otherwise it prints `template: N checks passed`. Needs PyYAML (in .venv).
"""

import json
import os
import re
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _use_project_venv():
    """Re-runs under .venv's Python (PyYAML, the SAM translator) when started by another one."""
    venv_python = os.path.join(ROOT, ".venv", "bin", "python")
    try:
        import samtranslator  # noqa: F401
        import yaml  # noqa: F401
    except ImportError:
        if os.path.exists(venv_python) and os.path.realpath(sys.prefix) != os.path.realpath(os.path.join(ROOT, ".venv")):
            os.execv(venv_python, [venv_python, *sys.argv])


if __name__ == "__main__":
    _use_project_venv()

import yaml  # noqa: E402

from cfn_yaml import load_template  # noqa: E402 (tools/, this script's directory)

# Actions that take no resource-level permissions: "*" is the only Resource they accept.
RESOURCELESS_ACTIONS = {
    "logs:createlogdelivery",
    "logs:getlogdelivery",
    "logs:updatelogdelivery",
    "logs:deletelogdelivery",
    "logs:listlogdeliveries",
    "logs:putresourcepolicy",
    "logs:describeresourcepolicies",
    "logs:describeloggroups",
    "xray:puttracesegments",
    "xray:puttelemetryrecords",
    "xray:getsamplingrules",
    "xray:getsamplingtargets",
    "xray:getsamplingstatisticsummaries",
    "cloudwatch:putmetricdata",
}
BROAD_MANAGED_POLICY = re.compile(r"(^|/)(AdministratorAccess|PowerUserAccess|[A-Za-z0-9]*FullAccess)$")
PLACEHOLDER = re.compile(r"\$\{([^}!]+)\}")
ADAPTER_DIR = os.path.join("crates", "booking-aws", "src", "dynamo")
# What the Rust SDK calls of the DynamoDB adapters need in IAM terms.
DYNAMODB_CALLS = {
    r"\.get_item\(\)": "dynamodb:GetItem",
    r"\.put_item\(\)": "dynamodb:PutItem",
    r"\.update_item\(\)": "dynamodb:UpdateItem",
    r"\.delete_item\(\)": "dynamodb:DeleteItem",
    r"\.query\(\)": "dynamodb:Query",
    r"\.scan\(\)": "dynamodb:Scan",
    r"\.batch_get_item\(\)": "dynamodb:BatchGetItem",
    r"\.batch_write_item\(\)": "dynamodb:BatchWriteItem",
    r"\.transact_get_items\(\)": "dynamodb:GetItem",
    r"\bPut::builder\(\)": "dynamodb:PutItem",
    r"\bUpdate::builder\(\)": "dynamodb:UpdateItem",
    r"\bDelete::builder\(\)": "dynamodb:DeleteItem",
    r"\bConditionCheck::builder\(\)": "dynamodb:ConditionCheckItem",
}
LAMBDA_DEFAULT_TIMEOUT = 3
SQS_DEFAULT_VISIBILITY = 30


# ---------------------------------------------------------------- loading


def load_policy_templates():
    """SAM's policy templates (name -> definition) from the installed translator, or None."""
    try:
        import samtranslator.policy_templates_data as data
    except ImportError:
        return None
    with open(os.path.join(os.path.dirname(data.__file__), "policy_templates.json"), encoding="utf-8") as f:
        return json.load(f)["Templates"]


# ---------------------------------------------------------------- helpers


def as_list(value):
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def ref_target(value):
    """The logical id a `!Ref X` or `!GetAtt X.attr` points at, else None."""
    if isinstance(value, dict) and len(value) == 1:
        if "Ref" in value and isinstance(value["Ref"], str):
            return value["Ref"]
        if "Fn::GetAtt" in value and isinstance(value["Fn::GetAtt"], list) and value["Fn::GetAtt"]:
            return value["Fn::GetAtt"][0]
    return None


# Described by openapi.json but served by booking-local only, never deployed.
LOCAL_ONLY_PATHS = {"/api/openapi.json"}
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}


class Checker:
    def __init__(self, template, template_path, policy_templates, adapter_dir=None):
        self.adapter_dir = adapter_dir
        self.t = template if isinstance(template, dict) else {}
        self.dir = os.path.dirname(os.path.abspath(template_path))
        self.resources = self.t.get("Resources") or {}
        self.parameters = self.t.get("Parameters") or {}
        self.globals_fn = ((self.t.get("Globals") or {}).get("Function")) or {}
        self.policy_templates = policy_templates
        self.findings = []
        self.checks = 0

    # -- bookkeeping

    def check(self, ok, where, message):
        self.checks += 1
        if not ok:
            self.findings.append(f"{where}: {message}")

    def resolve_number(self, value):
        """A number, or a parameter's default through !Ref; None when it cannot be known."""
        target = ref_target(value)
        if target is not None and isinstance(value, dict) and "Ref" in value:
            value = (self.parameters.get(target) or {}).get("Default")
        try:
            return int(value)
        except (TypeError, ValueError):
            return None

    def of_type(self, *types):
        return {n: r for n, r in self.resources.items() if isinstance(r, dict) and r.get("Type") in types}

    # -- policies

    def walk_statements(self, node, path):
        """Every IAM statement under node (any dict with a Statement list), with its path."""
        if isinstance(node, dict):
            if "Statement" in node and isinstance(node["Statement"], (list, dict)):
                for i, st in enumerate(as_list(node["Statement"])):
                    yield f"{path}.Statement[{i}]", st
            for k, v in node.items():
                if k != "Statement":
                    yield from self.walk_statements(v, f"{path}.{k}")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                yield from self.walk_statements(v, f"{path}[{i}]")

    @staticmethod
    def strings(value):
        """The literal strings in an Action/Resource value (intrinsics walked into)."""
        if isinstance(value, str):
            yield value
        elif isinstance(value, list):
            for v in value:
                yield from Checker.strings(v)
        elif isinstance(value, dict):
            for k, v in value.items():
                if k in ("Ref", "Fn::GetAtt", "Fn::Sub", "Fn::ImportValue", "Fn::Join"):
                    continue  # an ARN built from the template, not an action or "*"
                yield from Checker.strings(v)

    def check_statement(self, where, st):
        if not isinstance(st, dict):
            self.check(False, where, "statement is not a mapping")
            return
        effect = st.get("Effect", "Allow")
        if "NotAction" in st:
            self.check(effect != "Allow", where, "Allow with NotAction grants every other action")
        actions = list(self.strings(st.get("Action")))
        for action in actions:
            self.check("*" not in action, where, f"wildcard action {action!r}: name the exact actions")
        if effect == "Allow" and "Resource" in st and "*" in as_list(st.get("Resource")):
            broad = [a for a in actions if "*" not in a and a.lower() not in RESOURCELESS_ACTIONS]
            self.check(
                not broad,
                where,
                f"Resource '*' for {', '.join(broad)}, which take resource-level permissions: name the ARNs",
            )

    def check_policies(self):
        for where, st in self.walk_statements(self.resources, "Resources"):
            self.check_statement(where, st)
        for name, res in self.of_type("AWS::Serverless::Function", "AWS::Serverless::StateMachine").items():
            policies = (res.get("Properties") or {}).get("Policies")
            for i, policy in enumerate(as_list(policies)):
                where = f"Resources.{name}.Properties.Policies[{i}]"
                if isinstance(policy, str):
                    self.check(
                        not BROAD_MANAGED_POLICY.search(policy),
                        where,
                        f"managed policy {policy!r} grants far more than the function calls",
                    )
                elif isinstance(policy, dict) and "Statement" not in policy:
                    self.check_policy_templates(where, policy)
        for name, res in self.of_type("AWS::IAM::Role").items():
            for i, arn in enumerate(as_list((res.get("Properties") or {}).get("ManagedPolicyArns"))):
                if isinstance(arn, str):
                    self.check(
                        not BROAD_MANAGED_POLICY.search(arn),
                        f"Resources.{name}.Properties.ManagedPolicyArns[{i}]",
                        f"managed policy {arn!r} grants far more than needed",
                    )

    def check_policy_templates(self, where, policy):
        for template_name in policy:
            known = self.policy_templates is not None and template_name in self.policy_templates
            self.check(
                known,
                where,
                f"policy template {template_name!r} cannot be expanded to check its actions"
                + ("" if self.policy_templates is not None else " (SAM translator not installed)"),
            )
            if known:
                definition = self.policy_templates[template_name]["Definition"]
                for i, st in enumerate(as_list(definition.get("Statement"))):
                    self.check_statement(f"{where}.{template_name}.Statement[{i}]", st)

    def check_functions_have_policies(self):
        for name, res in self.of_type("AWS::Serverless::Function").items():
            props = res.get("Properties") or {}
            has = bool(props.get("Role")) or bool(as_list(props.get("Policies")))
            self.check(has, f"Resources.{name}", "function without Policies (or Role): give it what it calls, only that")

    # -- SQS event sources

    def sqs_triggers(self):
        """(queue logical id or None, function logical id, where, properties) per SQS event source."""
        queues = self.of_type("AWS::SQS::Queue")
        for name, res in self.of_type("AWS::Serverless::Function").items():
            events = (res.get("Properties") or {}).get("Events") or {}
            for ev_name, ev in events.items():
                if isinstance(ev, dict) and ev.get("Type") == "SQS":
                    props = ev.get("Properties") or {}
                    queue = ref_target(props.get("Queue"))
                    yield (queue if queue in queues else None), name, f"Resources.{name}.Properties.Events.{ev_name}", props
        for name, res in self.of_type("AWS::Lambda::EventSourceMapping").items():
            props = res.get("Properties") or {}
            source = props.get("EventSourceArn")
            queue = ref_target(source)
            is_sqs = queue in queues or (isinstance(source, str) and ":sqs:" in source)
            if is_sqs:
                yield (queue if queue in queues else None), ref_target(props.get("FunctionName")), f"Resources.{name}", props

    def function_timeout(self, name):
        res = self.resources.get(name) or {}
        props = res.get("Properties") or {}
        if "Timeout" in props:
            return self.resolve_number(props["Timeout"])
        if res.get("Type") == "AWS::Serverless::Function" and "Timeout" in self.globals_fn:
            return self.resolve_number(self.globals_fn["Timeout"])
        return LAMBDA_DEFAULT_TIMEOUT

    def check_sqs(self):
        for queue, function, where, props in self.sqs_triggers():
            types = as_list(props.get("FunctionResponseTypes"))
            self.check(
                "ReportBatchItemFailures" in types,
                where,
                "SQS event source without FunctionResponseTypes [ReportBatchItemFailures]: "
                "one bad message would redeliver the whole batch",
            )
            if queue is None:
                continue  # a queue from outside the template: its settings are not here
            qprops = self.resources[queue].get("Properties") or {}
            visibility = self.resolve_number(qprops.get("VisibilityTimeout", SQS_DEFAULT_VISIBILITY))
            timeout = self.function_timeout(function) if function in self.resources else None
            if visibility is None or timeout is None:
                self.check(False, where, f"cannot resolve {queue}'s VisibilityTimeout or {function}'s Timeout")
                continue
            self.check(
                visibility >= 6 * timeout,
                f"Resources.{queue}",
                f"VisibilityTimeout {visibility} is shorter than 6 x {function}'s Timeout {timeout} "
                f"({6 * timeout}): messages in flight would be delivered twice",
            )

    # -- state machines

    def definition_text(self, name, props, uri_key, inline_keys):
        uri = props.get(uri_key)
        if isinstance(uri, str):
            path = os.path.join(self.dir, uri)
            try:
                with open(path, encoding="utf-8") as f:
                    text = f.read()
            except OSError as e:
                self.check(False, f"Resources.{name}.Properties.{uri_key}", f"cannot read {uri}: {e.strerror}")
                return None
            try:
                json.loads(text)
            except ValueError as e:
                self.check(False, f"Resources.{name}.Properties.{uri_key}", f"{uri} is not JSON: {e}")
            return text
        for key in inline_keys:
            if key in props:
                value = props[key]
                return value if isinstance(value, str) else json.dumps(value)
        return None

    def check_state_machines(self):
        for name, res in self.of_type("AWS::Serverless::StateMachine", "AWS::StepFunctions::StateMachine").items():
            props = res.get("Properties") or {}
            sam = res["Type"] == "AWS::Serverless::StateMachine"
            kind = props.get("Type" if sam else "StateMachineType", "STANDARD")
            self.check(kind == "EXPRESS", f"Resources.{name}", f"state machine type {kind}, not EXPRESS")
            if sam:
                text = self.definition_text(name, props, "DefinitionUri", ["Definition"])
            else:
                text = self.definition_text(name, props, "__none__", ["DefinitionString", "Definition"])
            if text is None:
                continue
            used = set(PLACEHOLDER.findall(text))
            keys = set((props.get("DefinitionSubstitutions") or {}).keys())
            where = f"Resources.{name}.Properties.DefinitionSubstitutions"
            for missing in sorted(used - keys):
                self.check(False, where, f"no key for the definition's placeholder ${{{missing}}}")
            for unused in sorted(keys - used):
                self.check(False, where, f"key {unused!r} is used by no placeholder of the definition")
            self.check(True, where, "")

    # -- HTTP API

    def check_cors(self):
        def configs(node):
            if isinstance(node, dict):
                if "AllowOrigins" in node:
                    yield node
                for v in node.values():
                    yield from configs(v)
            elif isinstance(node, list):
                for v in node:
                    yield from configs(v)

        for name, res in self.of_type("AWS::Serverless::HttpApi").items():
            cors = (res.get("Properties") or {}).get("CorsConfiguration")
            for config in configs(cors):
                origins = list(self.strings(config.get("AllowOrigins")))
                self.check(
                    not ("*" in origins and config.get("AllowCredentials") is True),
                    f"Resources.{name}.Properties.CorsConfiguration",
                    "origin '*' with AllowCredentials true",
                )

    # -- the adapters' DynamoDB calls

    def granted_on_tables(self):
        """DynamoDB actions some policy allows on a table of the template (or one of its indexes)."""
        tables = set(self.of_type("AWS::DynamoDB::Table"))
        granted = set()
        for _, st in self.walk_statements(self.resources, "Resources"):
            if not isinstance(st, dict) or st.get("Effect", "Allow") != "Allow":
                continue
            text = json.dumps(st.get("Resource"))
            if any(f'"{t}"' in text or "${" + t + "." in text for t in tables):
                granted.update(a.lower() for a in self.strings(st.get("Action")))
        return granted

    def check_adapter_calls(self):
        if not self.adapter_dir or not os.path.isdir(self.adapter_dir):
            return
        called = {}
        for dirpath, _, files in os.walk(self.adapter_dir):
            for fname in sorted(files):
                if fname.endswith(".rs"):
                    path = os.path.join(dirpath, fname)
                    with open(path, encoding="utf-8") as f:
                        source = f.read()
                    for pattern, action in DYNAMODB_CALLS.items():
                        if re.search(pattern, source):
                            called.setdefault(action, path)
        granted = self.granted_on_tables()
        self.check("dynamodb:scan" not in granted, "Resources",
                   "a policy grants dynamodb:Scan on the table: every read goes by key or index (docs/dynamodb.md)")
        for action, path in sorted(called.items()):
            self.check(
                action.lower() in granted,
                os.path.relpath(path, ROOT),
                f"calls {action}, which no function's policy allows on the table: add it where it is called",
            )

    def http_routes(self):
        """(METHOD, path) of every HttpApi event, with the functions that serve it."""
        routes = {}
        for name in self.of_type("AWS::Serverless::Function"):
            props = self.resources[name].get("Properties") or {}
            for event in (props.get("Events") or {}).values():
                if isinstance(event, dict) and event.get("Type") == "HttpApi":
                    p = event.get("Properties") or {}
                    key = (str(p.get("Method", "")).upper(), str(p.get("Path", "")))
                    routes.setdefault(key, []).append(name)
        return routes

    def check_routes(self):
        """Every operation of the OpenAPI description next to the template is routed to
        exactly one function, and every routed path is described."""
        path = os.path.join(self.dir, "openapi.json")
        if not os.path.isfile(path):
            return
        with open(path, encoding="utf-8") as f:
            paths = json.load(f).get("paths") or {}
        described = {
            (method.upper(), p)
            for p, ops in paths.items()
            if p not in LOCAL_ONLY_PATHS
            for method in ops
            if method.lower() in HTTP_METHODS
        }
        routed = self.http_routes()
        for method, p in sorted(described):
            fns = routed.get((method, p), [])
            self.check(len(fns) == 1, "openapi.json",
                       f"{method} {p} is routed to {len(fns)} functions ({', '.join(fns) or 'none'}), not one")
        for (method, p), fns in sorted(routed.items()):
            self.check((method, p) in described, f"Resources.{fns[0]}",
                       f"routes {method} {p}, which openapi.json does not describe")

    def run(self):
        self.check(bool(self.resources), "Resources", "template has no Resources")
        self.check_routes()
        self.check_policies()
        self.check_functions_have_policies()
        self.check_sqs()
        self.check_state_machines()
        self.check_cors()
        self.check_adapter_calls()
        return self.findings


def check_file(path, policy_templates=None, out=sys.stdout):
    """Checks one template; prints the findings or the pass line; returns the findings."""
    if policy_templates is None:
        policy_templates = load_policy_templates()
    name = os.path.relpath(path, os.getcwd())
    try:
        template = load_template(path)
    except (OSError, yaml.YAMLError) as e:
        print(f"{name}: cannot read the template: {e}", file=out)
        return [str(e)]
    checker = Checker(template, path, policy_templates, os.path.join(os.path.dirname(os.path.abspath(path)), ADAPTER_DIR))
    findings = checker.run()
    for f in findings:
        print(f"{name}: {f}", file=out)
    if findings:
        print(f"template: {len(findings)} finding(s) in {checker.checks} checks", file=out)
    else:
        print(f"template: {checker.checks} checks passed", file=out)
    return findings


# ---------------------------------------------------------------- self-test

SELF_TEST_BASE = """
Transform: AWS::Serverless-2016-10-31
Parameters:
  Timeout: {Type: Number, Default: 30}
Globals:
  Function:
    Timeout: 10
Resources:
  Table:
    Type: AWS::DynamoDB::Table
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: 180
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      Timeout: !Ref Timeout
      Policies:
        - Statement:
            - Effect: Allow
              Action: [dynamodb:PutItem, dynamodb:DeleteItem]
              Resource: !GetAtt Table.Arn
      Events:
        Health:
          Type: HttpApi
          Properties: { Method: GET, Path: /api/health }
        Batch:
          Type: SQS
          Properties:
            Queue: !GetAtt Queue.Arn
            FunctionResponseTypes: [ReportBatchItemFailures]
  Task:
    Type: AWS::Serverless::Function
    Properties:
      Policies:
        - Statement:
            - Effect: Allow
              Action: dynamodb:GetItem
              Resource: !Sub "${Table.Arn}"
  Flow:
    Type: AWS::Serverless::StateMachine
    Properties:
      Type: EXPRESS
      DefinitionUri: flow.asl.json
      DefinitionSubstitutions:
        TaskArn: !GetAtt Task.Arn
      Policies:
        - Statement:
            - Effect: Allow
              Action: lambda:InvokeFunction
              Resource: !GetAtt Task.Arn
            - Effect: Allow
              Action: [logs:CreateLogDelivery, logs:DescribeLogGroups]
              Resource: "*"
"""

SELF_TEST_ADAPTER = """
client.get_item().table_name(t).send().await;
let item = TransactWriteItem::builder().put(Put::builder().table_name(t).build()?).build();
client.delete_item().table_name(t).send().await;
"""

SELF_TEST_OPENAPI = '{"paths": {"/api/health": {"get": {}}, "/api/openapi.json": {"get": {}}}}'

SELF_TEST_ASL = '{"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "${TaskArn}", "End": true}}}'

# (name, edit of the base template's text, text every expected finding must contain)
SELF_TEST_CASES = [
    (
        "Scan granted on the table",
        lambda t: t.replace("Action: dynamodb:GetItem", "Action: [dynamodb:GetItem, dynamodb:Scan]"),
        ["grants dynamodb:Scan"],
    ),
    (
        "a described route that no function serves, and a routed one not described",
        lambda t: t.replace("Path: /api/health }", "Path: /api/healthz }"),
        ["GET /api/health is routed to 0 functions", "routes GET /api/healthz, which openapi.json does not describe"],
    ),
    (
        "wildcard action in SAM inline Policies",
        lambda t: t.replace("Action: [dynamodb:PutItem, dynamodb:DeleteItem]", 'Action: "dynamodb:*"'),
        ["wildcard action 'dynamodb:*'"],
    ),
    (
        'Action "*" in an IAM policy',
        lambda t: t
        + """
  Broad:
    Type: AWS::IAM::Policy
    Properties:
      PolicyName: broad
      PolicyDocument:
        Statement:
          - {Effect: Allow, Action: "*", Resource: "*"}
""",
        ["wildcard action '*'"],
    ),
    (
        "policy template granting a wildcard action",
        # The base ends with Flow's Policies: one more item there.
        lambda t: t + "        - SQSSendMessagePolicy: {QueueName: !GetAtt Queue.QueueName}\n",
        ["wildcard action 'sqs:SendMessage*'"],
    ),
    (
        "Allow with NotAction",
        lambda t: t.replace("Action: dynamodb:GetItem", "NotAction: iam:CreateUser"),
        ["Allow with NotAction"],
    ),
    (
        "Resource * on a resource-scoped action",
        lambda t: t.replace('Resource: !Sub "${Table.Arn}"', 'Resource: "*"'),
        ["Resource '*' for dynamodb:GetItem"],
    ),
    (
        "broad managed policy",
        lambda t: t.replace(
            "      Policies:\n        - Statement:\n            - Effect: Allow\n              Action: dynamodb:GetItem",
            "      Policies:\n        - AmazonDynamoDBFullAccess\n        - Statement:\n            - Effect: Allow\n"
            "              Action: dynamodb:GetItem",
        ),
        ["managed policy 'AmazonDynamoDBFullAccess'"],
    ),
    (
        "short visibility timeout",
        lambda t: t.replace("VisibilityTimeout: 180", "VisibilityTimeout: 60"),
        ["VisibilityTimeout 60 is shorter than 6 x Worker's Timeout 30 (180)"],
    ),
    (
        "short visibility timeout through Globals and an event source mapping",
        lambda t: t.replace("VisibilityTimeout: 180", "VisibilityTimeout: 50")
        .replace("      Timeout: !Ref Timeout\n", "")
        .replace("      Events:", "      Nothing:")
        + """
  Mapping:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      EventSourceArn: !GetAtt Queue.Arn
      FunctionName: !Ref Worker
      FunctionResponseTypes: [ReportBatchItemFailures]
""",
        ["VisibilityTimeout 50 is shorter than 6 x Worker's Timeout 10 (60)"],
    ),
    (
        "function without policies",
        lambda t: t.replace(
            "      Policies:\n        - Statement:\n            - Effect: Allow\n              Action: dynamodb:GetItem\n"
            '              Resource: !Sub "${Table.Arn}"\n',
            "",
        ),
        ["Resources.Task: function without Policies"],
    ),
    (
        "SQS event without ReportBatchItemFailures",
        lambda t: t.replace("            FunctionResponseTypes: [ReportBatchItemFailures]\n", ""),
        ["without FunctionResponseTypes [ReportBatchItemFailures]"],
    ),
    (
        "STANDARD state machine",
        lambda t: t.replace("Type: EXPRESS", "Type: STANDARD"),
        ["state machine type STANDARD, not EXPRESS"],
    ),
    (
        "placeholder without a substitution, and a substitution without a placeholder",
        lambda t: t.replace("TaskArn: !GetAtt Task.Arn", "OtherArn: !GetAtt Task.Arn"),
        ["no key for the definition's placeholder ${TaskArn}", "key 'OtherArn' is used by no placeholder"],
    ),
    (
        "adapter calling an action no policy grants",
        lambda t: t.replace("Action: dynamodb:GetItem", "Action: dynamodb:Query"),
        ["calls dynamodb:GetItem, which no function's policy allows"],
    ),
    (
        "CORS origin * with credentials",
        lambda t: t
        + """
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      CorsConfiguration:
        AllowOrigins: ["*"]
        AllowCredentials: true
""",
        ["origin '*' with AllowCredentials true"],
    ),
]


def self_test():
    policy_templates = load_policy_templates()
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "flow.asl.json"), "w", encoding="utf-8") as f:
            f.write(SELF_TEST_ASL)
        with open(os.path.join(tmp, "openapi.json"), "w", encoding="utf-8") as f:
            f.write(SELF_TEST_OPENAPI)

        def findings_of(text):
            path = os.path.join(tmp, "template.yaml")
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            try:
                template = load_template(path)
            except yaml.YAMLError as e:
                return [f"not YAML: {e}"]
            return Checker(template, path, policy_templates, os.path.join(tmp, ADAPTER_DIR)).run()

        adapters = os.path.join(tmp, ADAPTER_DIR)
        os.makedirs(adapters)
        with open(os.path.join(adapters, "sent.rs"), "w", encoding="utf-8") as f:
            f.write(SELF_TEST_ADAPTER)

        base = findings_of(SELF_TEST_BASE)
        if base:
            failures.append("the valid base template has findings: " + "; ".join(base))
        for name, edit, expected in SELF_TEST_CASES:
            text = edit(SELF_TEST_BASE)
            if text == SELF_TEST_BASE:
                failures.append(f"{name}: the edit did not change the base template")
                continue
            found = findings_of(text)
            for want in expected:
                if not any(want in f for f in found):
                    failures.append(f"{name}: expected a finding with {want!r}, got {found or 'none'}")
            if policy_templates is None and "policy template" in name:
                failures.append(f"{name}: the SAM translator is not installed (run with .venv/bin/python)")
    for f in failures:
        print(f"self-test: FAIL {f}")
    if failures:
        return 1
    print(f"self-test: {len(SELF_TEST_CASES) + 1} cases passed (a valid template, {len(SELF_TEST_CASES)} broken ones caught)")
    return 0


def main(argv):
    if argv[1:] == ["--self-test"]:
        return self_test()
    if len(argv) > 2 or (len(argv) == 2 and argv[1].startswith("-")):
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        print(__doc__.strip().splitlines()[3], file=sys.stderr)
        return 2
    path = argv[1] if len(argv) == 2 else os.path.join(ROOT, "template.yaml")
    return 1 if check_file(path) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
