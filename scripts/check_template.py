#!/usr/bin/env python3
"""Checks on template.yaml that neither cfn-lint nor checkov makes, each a way a deployment can fail
silently. Exits non-zero on the first failed check.

1. CloudWatch can publish to the alarm topic: no SSE, or a customer key whose policy lets
   cloudwatch.amazonaws.com use it (never the AWS managed alias/aws/sns, which it cannot use).
2. Every queue's MaximumMessageSize is what ingest admits (MAX_QUEUE_MESSAGE_BYTES in Rust).
3. The processor has its own role, scoped to named resources, with no PutItem.
4. An alarm fires while the quarantine queue holds anything.
5. Every function has a concurrency limit.
6. The brand's handler gets its policies, secret and configuration from parameters.
7. Only ingest, redrive and the operators' role may send to the events and quarantine queues, and only
   the processor to the dead-letter queue.
8. Alarms and the dashboard read only metrics the code (shared/src/metrics.rs) or a log metric filter
   emits, and the README lists every metric the code emits.
9. Each alarm names its runbook step, which the README's runbook has.
10. Every function logs to a log group of the stack with the retention parameter.
11. Active tracing, with the permission it needs.
13. The processor's timeout and memory are parameters, and the events queue's visibility timeout is 6
   times the timeout for every value the parameter allows.
14. The processor is in a VPC, with the permissions a VPC function needs, exactly when
   ProcessorSubnetIds is set (checked with and without).
15. The processor's role grants every DynamoDB operation its adapters call.
12. Every variable events/sam-env.json sets is declared for its function (`sam local` silently drops the
   others), and what only `sam local` sets is AWS::NoValue in the template, so absent in AWS."""
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from template import load_template  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def rust_constant(name, module=("contract", "message", "mod.rs")):
    with open(os.path.join(ROOT, "shared", "src", *module)) as f:
        match = re.search(rf"pub const {name}: u(?:size|64) = ([\d_]+);", f.read())
    return int(match.group(1).replace("_", ""))


def check_processor_boundary(resources):
    """Whatever HandlerPolicyArns attach, the processor's role stays within a boundary: no IAM or STS,
    not the signing secret, our tables only as the processor writes them; and the handler's secret is
    one named secret, never a wildcard."""
    role = resources["ProcessorRole"]["Properties"]
    assert role.get("PermissionsBoundary") == {"Ref": "ProcessorPermissionsBoundary"}, \
        "the processor's role has no permissions boundary"
    statements = as_list(resources["ProcessorPermissionsBoundary"]["Properties"]["PolicyDocument"]["Statement"])
    allows = [s for s in statements if s["Effect"] == "Allow"]
    assert all("Action" not in s and {"iam:*", "sts:*"} <= set(as_list(s["NotAction"])) for s in allows), \
        "the boundary must allow everything but identity, never grant IAM or STS"
    denies = [s for s in statements if s["Effect"] == "Deny"]
    assert any(s.get("Resource") == {"Ref": "SigningSecret"} and "secretsmanager:*" in as_list(s.get("Action"))
               for s in denies), "the boundary must deny the signing secret"
    tables = [s for s in denies if {"GetAtt": "IdempotencyTable.Arn"} in as_list(s.get("Resource"))]
    assert tables and set(as_list(tables[0].get("NotAction"))) <= {"dynamodb:UpdateItem", "dynamodb:BatchGetItem"} \
        and {"GetAtt": "StateTable.Arn"} in as_list(tables[0]["Resource"]), \
        "the boundary must deny every table action but the processor's own"
    pattern = re.compile(load_template()["Parameters"]["HandlerSecretArn"]["AllowedPattern"])
    good = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:brand-erp-AbCdEf"
    assert pattern.match(good) and pattern.match(""), "HandlerSecretArn refuses a named secret"
    for wildcard in ("arn:aws:secretsmanager:eu-west-1:123456789012:secret:*",
                     "arn:aws:secretsmanager:eu-west-1:123456789012:secret:stack-Signing?ecret"):
        assert not pattern.match(wildcard), f"HandlerSecretArn accepts {wildcard}"


def check_signature_tolerance(resources):
    """The tolerance parameter stops where ingest's configuration does (a kept marker lives 24 h)."""
    top = load_template()["Parameters"]["SignatureToleranceSeconds"].get("MaxValue")
    limit = rust_constant("MAX_TOLERANCE_SECS", ("contract", "signature", "mod.rs"))
    assert top == limit, f"SignatureToleranceSeconds MaxValue {top}, ingest allows at most {limit}"


def as_list(value):
    return value if isinstance(value, list) else [value]


def check_alarm_topic(resources):
    topic = resources["AlarmTopic"]["Properties"]
    key = topic.get("KmsMasterKeyId")
    if key is None:
        return
    assert isinstance(key, dict) and "Ref" in key, f"AlarmTopic key must be a key of this stack, not {key!r}"
    policy = resources[key["Ref"]]["Properties"]["KeyPolicy"]
    for statement in as_list(policy["Statement"]):
        principal = statement.get("Principal", {})
        services = as_list(principal.get("Service", [])) if isinstance(principal, dict) else []
        actions = set(as_list(statement.get("Action", [])))
        if statement.get("Effect") == "Allow" and "cloudwatch.amazonaws.com" in services \
                and {"kms:Decrypt", "kms:GenerateDataKey*"} <= actions:
            return
    raise AssertionError("the alarm topic's key policy does not let CloudWatch publish")


def check_queue_sizes(resources):
    limit = rust_constant("MAX_QUEUE_MESSAGE_BYTES")
    for name, res in resources.items():
        if res["Type"] == "AWS::SQS::Queue":
            size = res["Properties"].get("MaximumMessageSize")
            assert size == limit, f"{name}: MaximumMessageSize {size}, ingest admits {limit}"


def check_processor_role(resources):
    role = resources["ProcessorFunction"]["Properties"].get("Role")
    assert role == {"GetAtt": "ProcessorRole.Arn"}, f"the processor needs its own role, has {role!r}"
    for policy in resources["ProcessorRole"]["Properties"]["Policies"]:
        for statement in as_list(policy["PolicyDocument"]["Statement"]):
            if "If" in statement:
                # A conditional statement (the handler's secret): check what it grants when on.
                statement = statement["If"][1]
            actions = as_list(statement["Action"])
            assert "dynamodb:PutItem" not in actions, "the processor never puts items"
            for resource in as_list(statement["Resource"]):
                assert resource != "*", f"{statement.get('Sid')}: scoped to every resource"


def check_handler_parameters(resources):
    """The brand's handler gets its permissions and settings from parameters, not template edits."""
    params = load_template()["Parameters"]
    for name in ("HandlerPolicyArns", "HandlerSecretArn", "HandlerConfig"):
        assert params.get(name, {}).get("Default") == "", f"{name}: a parameter defaulting to none"
    role = resources["ProcessorRole"]["Properties"]
    attached = json.dumps(role.get("ManagedPolicyArns"))
    assert '"HasHandlerPolicies"' in attached and '{"Ref": "HandlerPolicyArns"}' in attached, \
        "HandlerPolicyArns not attached to the processor's role"
    env = resources["ProcessorFunction"]["Properties"]["Environment"]["Variables"]
    assert env.get("HANDLER_CONFIG") == {"Ref": "HandlerConfig"}, "HANDLER_CONFIG not passed"
    assert env.get("HANDLER_SECRET_ARN") == {"Ref": "HandlerSecretArn"}, "HANDLER_SECRET_ARN not passed"
    # A rotated secret reaches warm functions only when both read it again after this age.
    for function in ("ProcessorFunction", "IngestFunction"):
        variables = resources[function]["Properties"]["Environment"]["Variables"]
        assert variables.get("SECRET_MAX_AGE_SECONDS") == {"Ref": "SecretMaxAgeSeconds"}, \
            f"{function}: SECRET_MAX_AGE_SECONDS not passed"
    assert env.get("EVENTS_QUEUE_URL") == {"Ref": "EventsQueue"}, "retry_after needs EVENTS_QUEUE_URL"
    assert env.get("DEAD_LETTER_QUEUE_URL") == {"Ref": "EventsDeadLetterQueue"}, \
        "the retry budget needs DEAD_LETTER_QUEUE_URL"
    for name in ("RETRY_BUDGET", "RETRY_BACKOFF_BASE_SECONDS", "RETRY_BACKOFF_MAX_SECONDS",
                 "PROCESSOR_MAX_CONCURRENCY"):
        assert name in env, f"{name} not passed to the processor"
    redrive = resources["EventsQueue"]["Properties"]["RedrivePolicy"]
    budget_max = load_template()["Parameters"]["RetryBudget"]["MaxValue"]
    assert redrive["maxReceiveCount"] > 5 * budget_max, \
        "maxReceiveCount must stay a safety net far above the retry budget"


def allowed_senders(senders):
    """The roles a Deny's ArnNotEquals lets through, the operators' role named by its parameter."""
    names = set()
    for sender in as_list(senders):
        if "If" in sender:
            sender = sender["If"][1]
        names.add(sender.get("GetAtt", "").split(".")[0] or sender.get("Ref"))
    return names


def check_queue_senders(resources):
    """Only ingest, redrive and the operators' role may send to the events and quarantine queues, and
    only the processor to the dead-letter queue (whatever is there goes back to the events queue as
    the redrive's role; what SQS moves there from another queue, the redrive quarantines)."""
    expected = {
        "EventsQueue": {"IngestFunctionRole", "RedriveFunctionRole", "OperatorRoleArn"},
        "QuarantineQueue": {"IngestFunctionRole", "RedriveFunctionRole", "OperatorRoleArn"},
        "EventsDeadLetterQueue": {"ProcessorRole"},
    }
    guarded = set()
    for policy in (res for res in resources.values() if res["Type"] == "AWS::SQS::QueuePolicy"):
        queues = {q["Ref"] for q in policy["Properties"]["Queues"]}
        for statement in as_list(policy["Properties"]["PolicyDocument"]["Statement"]):
            senders = statement.get("Condition", {}).get("ArnNotEquals", {}).get("aws:PrincipalArn", [])
            if statement["Effect"] == "Deny" and statement["Principal"] == "*" \
                    and statement["Action"] == "sqs:SendMessage":
                for queue in queues:
                    assert allowed_senders(senders) == expected.get(queue), \
                        f"{queue}: senders {sorted(allowed_senders(senders))}, expected {sorted(expected.get(queue, []))}"
                    guarded.add(queue)
    unguarded = set(expected) - guarded
    assert not unguarded, f"anyone with sqs:SendMessage may feed {sorted(unguarded)}"


def code_metric_names():
    """Every metric name `shared/src/metrics.rs` declares (its `name` module)."""
    with open(os.path.join(ROOT, "shared", "src", "metrics.rs")) as f:
        text = f.read()
    module = text[text.index("pub mod name {"):]
    return set(re.findall(r'pub const [A-Z_]+: &str = "([A-Za-z0-9]+)";', module))


def template_metric_names(resources):
    """Metrics the template itself makes (log metric filters)."""
    return {t["MetricName"] for res in resources.values() if res["Type"] == "AWS::Logs::MetricFilter"
            for t in res["Properties"]["MetricTransformations"]}


def our_metrics_in_alarms_and_dashboards(resources):
    """(where, metric name) of every FanfareWebhooks metric an alarm or a dashboard widget reads."""
    found = []
    for name, res in resources.items():
        props = res.get("Properties", {})
        if res["Type"] == "AWS::CloudWatch::Alarm":
            stats = [props] + [m.get("MetricStat", {}).get("Metric", {}) for m in props.get("Metrics", [])]
            found += [(name, m["MetricName"]) for m in stats if m.get("Namespace") == "FanfareWebhooks"]
        elif res["Type"] == "AWS::CloudWatch::Dashboard":
            body = props["DashboardBody"]
            text = body["Sub"] if isinstance(body, dict) else body
            for widget in json.loads(text)["widgets"]:
                for metric in widget["properties"].get("metrics", []):
                    if metric and metric[0] == "FanfareWebhooks":
                        found.append((name, metric[1]))
                    for part in metric:
                        if isinstance(part, dict) and "FanfareWebhooks" in part.get("expression", ""):
                            found += [(name, m) for m in re.findall(r'MetricName="([A-Za-z0-9]+)"', part["expression"])]
    return found


def check_metric_names(resources):
    """Alarms and the dashboard read only metrics something emits; the README lists every one."""
    known = code_metric_names() | template_metric_names(resources)
    read = our_metrics_in_alarms_and_dashboards(resources)
    assert read, "no alarm or widget reads a FanfareWebhooks metric"
    for where, metric in read:
        assert metric in known, f"{where} reads {metric}, which nothing emits"
    with open(os.path.join(ROOT, "README.md")) as f:
        readme = f.read()
    for metric in sorted(code_metric_names()):
        assert f"`{metric}`" in readme, f"the code emits {metric}; the README does not list it"
    dashboards = [res for res in resources.values() if res["Type"] == "AWS::CloudWatch::Dashboard"]
    assert dashboards, "no dashboard"


# What the paged engineer must hear about, whatever else is added: each is a runbook step an alarm names.
REQUIRED_ALARMS = {
    "SigningSecretWrong", "ApiServerErrors", "ApiThrottled", "FunctionErrors", "FunctionThrottles",
    "Conflict", "DeadLetterQueueNotEmpty", "QuarantineNotEmpty", "OldestMessageAge", "FailureRate",
    "DeliveryFailed", "HandlerRejected",
}


def check_alarm_runbook(resources):
    """Each alarm names its runbook step, the README's runbook has that step, and no required alarm is
    missing."""
    with open(os.path.join(ROOT, "README.md")) as f:
        runbook = f.read().split("## Operations runbook", 1)[1]
    named = set()
    for name, res in resources.items():
        if res["Type"] != "AWS::CloudWatch::Alarm":
            continue
        match = re.match(r"Runbook: (\w+)\.", res["Properties"].get("AlarmDescription", ""))
        assert match, f"{name}: its description does not start with 'Runbook: <step>.'"
        assert f"| {match.group(1)} |" in runbook, f"{name}: the runbook has no row {match.group(1)}"
        named.add(match.group(1))
    missing = REQUIRED_ALARMS - named
    assert not missing, f"no alarm for {sorted(missing)}"


def check_tracing(resources):
    """Active X-Ray tracing on every function, and the processor's own role may write traces."""
    tracing = load_template()["Globals"]["Function"].get("Tracing")
    assert tracing == "Active", f"functions' tracing is {tracing!r}"
    attached = json.dumps(resources["ProcessorRole"]["Properties"].get("ManagedPolicyArns"))
    assert "AWSXRayDaemonWriteAccess" in attached, "the processor's role cannot write traces"


def check_log_retention(resources):
    """Every function writes to a log group of the stack, kept for the retention parameter."""
    for name, res in resources.items():
        if res["Type"] != "AWS::Serverless::Function":
            continue
        group = res["Properties"].get("LoggingConfig", {}).get("LogGroup", {}).get("Ref")
        assert group in resources, f"{name}: no log group of its own (kept for ever)"
        retention = resources[group]["Properties"].get("RetentionInDays")
        assert retention == {"Ref": "AccessLogRetentionDays"}, f"{group}: retention {retention!r}"


def check_quarantine_alarm(resources):
    watching = [
        res for res in resources.values()
        if res["Type"] == "AWS::CloudWatch::Alarm"
        and any(d.get("Value") == {"GetAtt": "QuarantineQueue.QueueName"}
                for d in res["Properties"].get("Dimensions", []))
    ]
    assert watching, "no alarm watches the quarantine queue"
    assert all(a["Properties"].get("AlarmActions") for a in watching), "the quarantine alarm notifies no one"


NO_VALUE = {"Ref": "AWS::NoValue"}


def resolve(node, conditions):
    """`node` with each Fn::If on a condition in `conditions` decided, and AWS::NoValue removed."""
    if isinstance(node, dict):
        if "If" in node and node["If"][0] in conditions:
            return resolve(node["If"][1 if conditions[node["If"][0]] else 2], conditions)
        return {k: resolve(v, conditions) for k, v in node.items() if resolve(v, conditions) != NO_VALUE}
    if isinstance(node, list):
        return [resolve(v, conditions) for v in node if resolve(v, conditions) != NO_VALUE]
    return node


def check_processor_sizing(resources):
    """Timeout and memory are parameters; the queue's visibility is 6 times the timeout."""
    template = load_template()
    props = resources["ProcessorFunction"]["Properties"]
    assert props.get("Timeout") == {"Ref": "ProcessorTimeoutSeconds"}, "the processor's timeout is not the parameter"
    assert props.get("MemorySize") == {"Ref": "ProcessorMemoryMb"}, "the processor's memory is not the parameter"
    visibility = resources["EventsQueue"]["Properties"]["VisibilityTimeout"]
    assert visibility == {"FindInMap": ["ProcessorTimeouts", {"Ref": "ProcessorTimeoutSeconds"},
                                        "QueueVisibilitySeconds"]}, "the queue's visibility does not follow the timeout"
    table = template["Mappings"]["ProcessorTimeouts"]
    for timeout in template["Parameters"]["ProcessorTimeoutSeconds"]["AllowedValues"]:
        seconds = table[str(timeout)]["QueueVisibilitySeconds"]
        assert 6 * timeout <= seconds <= 43200, f"timeout {timeout}: visibility {seconds} is not 6 times it"


VPC_POLICY = "AWSLambdaVPCAccessExecutionRole"


def check_processor_vpc(resources):
    """In a VPC, with the network-interface permissions, exactly when subnets are given."""
    for in_vpc in (True, False):
        for handler_policies in (True, False):
            conditions = {"HasProcessorVpc": in_vpc, "HasHandlerPolicies": handler_policies}
            function = resolve(resources["ProcessorFunction"]["Properties"], conditions)
            role = resolve(resources["ProcessorRole"]["Properties"], conditions)
            policies = json.dumps(role["ManagedPolicyArns"])
            assert "AWSXRayDaemonWriteAccess" in policies, f"{conditions}: X-Ray's policy missing"
            assert ("HandlerPolicyArns" in policies) == handler_policies, f"{conditions}: handler policies"
            if in_vpc:
                vpc = function.get("VpcConfig", {})
                assert vpc.get("SubnetIds") == {"Ref": "ProcessorSubnetIds"}, "subnets not passed"
                assert vpc.get("SecurityGroupIds") == {"Ref": "ProcessorSecurityGroupIds"}, "security groups not passed"
                assert VPC_POLICY in policies, f"{conditions}: a VPC function needs {VPC_POLICY}"
            else:
                assert "VpcConfig" not in function, "in a VPC without subnets"
                assert VPC_POLICY not in policies, f"{conditions}: network permissions without a VPC"


# The DynamoDB adapters the processor links (inspect.rs is the CLI's only).
PROCESSOR_DYNAMODB_ADAPTERS = ("idempotency.rs", "pace.rs", "state.rs", "steps.rs")


def check_role_covers_adapters(resources):
    """Every DynamoDB operation the processor's adapters call is granted (moto does not enforce IAM)."""
    granted = set()
    for policy in resources["ProcessorRole"]["Properties"]["Policies"]:
        for statement in as_list(policy["PolicyDocument"]["Statement"]):
            statement = statement["If"][1] if "If" in statement else statement
            granted.update(as_list(statement["Action"]))
    for name in PROCESSOR_DYNAMODB_ADAPTERS:
        with open(os.path.join(ROOT, "shared", "src", "adapters", "dynamodb", name)) as f:
            calls = set(re.findall(r"\.(update_item|put_item|get_item|delete_item|batch_get_item|"
                                   r"batch_write_item|query|scan|transact_write_items)\(\)", f.read()))
        for call in calls:
            action = "dynamodb:" + "".join(part.capitalize() for part in call.split("_"))
            assert action in granted, f"{name} calls {call}, the processor's role lacks {action}"


def check_listen_pause(resources):
    """`listen` pauses the processor through ProcessorPaused: the queue trigger must follow it, and a
    rule must refuse the pause on a stack not marked for development (moto runs no SAM transform or
    rule, so this is where that is checked)."""
    template = load_template()
    trigger = resources["ProcessorFunction"]["Properties"]["Events"]["EventsQueue"]["Properties"]
    assert trigger.get("Enabled") == {"If": ["IsProcessorPaused", False, True]}, \
        "the processor's queue trigger does not follow ProcessorPaused"
    assert template["Conditions"]["IsProcessorPaused"] == {"Equals": [{"Ref": "ProcessorPaused"}, "true"]}
    rule = template.get("Rules", {}).get("PauseOnlyADevelopmentStack", {})
    assert rule.get("RuleCondition") == {"Equals": [{"Ref": "ProcessorPaused"}, "true"]}, \
        "no rule keeps ProcessorPaused to development stacks"
    assertions = json.dumps(rule.get("Assertions"))
    assert '{"Equals": [{"Ref": "DevelopmentStack"}, "true"]}' in assertions, \
        "the pause rule does not require DevelopmentStack=true"
    params = template["Parameters"]
    assert params["DevelopmentStack"]["Default"] == "false" and params["ProcessorPaused"]["Default"] == "false"


def check_concurrency(resources):
    for name, res in resources.items():
        if res["Type"] == "AWS::Serverless::Function":
            assert "ReservedConcurrentExecutions" in res["Properties"], f"{name}: no concurrency limit"


def check_sam_env_vars(resources):
    globals_env = load_template()["Globals"]["Function"].get("Environment", {}).get("Variables", {})
    with open(os.path.join(ROOT, "events", "sam-env.json")) as f:
        sam_env = json.load(f)
    functions = [name for name, res in resources.items() if res["Type"] == "AWS::Serverless::Function"]
    for section, variables in sam_env.items():
        targets = functions if section == "Parameters" else [section]
        for function in targets:
            declared = {**globals_env, **resources[function]["Properties"].get("Environment", {}).get("Variables", {})}
            for name in variables:
                assert name in declared, f"events/sam-env.json sets {section}.{name}, not declared for {function}"
    for name in ("AWS_ENDPOINT_URL",):
        assert globals_env.get(name) == {"Ref": "AWS::NoValue"}, f"{name} must be AWS::NoValue in AWS"
    ingest_env = resources["IngestFunction"]["Properties"]["Environment"]["Variables"]
    assert ingest_env.get("FANFARE_DEBUG_FIXED_NOW") == {"Ref": "AWS::NoValue"}, "FANFARE_DEBUG_FIXED_NOW must be AWS::NoValue"


def main():
    resources = load_template()["Resources"]
    checks = [check_alarm_topic, check_queue_sizes, check_processor_role, check_handler_parameters,
              check_queue_senders, check_quarantine_alarm, check_concurrency, check_sam_env_vars,
              check_metric_names, check_alarm_runbook, check_log_retention, check_tracing,
              check_processor_sizing, check_processor_vpc, check_role_covers_adapters,
              check_signature_tolerance, check_processor_boundary, check_listen_pause]
    for check in checks:
        try:
            check(resources)
        except (AssertionError, KeyError) as e:
            print(f"template.yaml: {check.__name__} failed: {e}", file=sys.stderr)
            sys.exit(1)
    print(f"template.yaml: {len(checks)} checks passed")


if __name__ == "__main__":
    main()
