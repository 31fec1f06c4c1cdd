#!/usr/bin/env python3
"""Creates the queues, tables and signing secret of template.yaml in moto, from the template itself.

template.yaml is the one source of truth: queue attributes (FIFO, high-throughput mode, visibility
timeout, retention, redrive policy), table keys and TTL are read from its resource properties. Only the
names differ (CloudFormation generates them in AWS; here they are fixed so the CLI finds them).
Writes the functions' environment to the file given as the first argument.

Usage: dev_resources.py ENV_FILE ENDPOINT SECRET [FUNCTION_ENV_OVERRIDES...]
   or: dev_resources.py --test PREFIX ENDPOINT [Logical.Attribute=VALUE...]
The second form is how every test makes its queues and tables: from the template too, named
PREFIX-Logical (FIFO queues end in .fifo), with the attributes a test needs overridden (e.g.
EventsQueue.VisibilityTimeout=8, EventsQueue.maxReceiveCount=2); it prints {logical id: URL or name}."""
import json
import os
import sys

import boto3

from template import load_template

HERE = os.path.dirname(os.path.abspath(__file__))
# The fixed local names of the template's resources; the CLI reads the same file.
with open(os.path.join(HERE, "dev-resources.json"), encoding="utf-8") as names_file:
    NAMES = json.load(names_file)


def queue_attributes(props, arns):
    attrs = {}
    for key in ("FifoQueue", "ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit",
                "MessageRetentionPeriod", "VisibilityTimeout", "DelaySeconds", "ReceiveMessageWaitTimeSeconds",
                "MaximumMessageSize"):
        if key in props:
            value = with_defaults(props[key])
            attrs[key] = str(value).lower() if isinstance(value, bool) else str(value)
    if "RedrivePolicy" in props:
        policy = props["RedrivePolicy"]
        target = policy["deadLetterTargetArn"]["GetAtt"].split(".")[0]
        attrs["RedrivePolicy"] = json.dumps({"deadLetterTargetArn": arns[target],
                                             "maxReceiveCount": str(policy["maxReceiveCount"])})
    return attrs


def with_defaults(value):
    """A property as the template's parameter defaults make it: !Ref of a parameter, !FindInMap."""
    if not isinstance(value, dict):
        return value
    template = load_template()
    if "Ref" in value and value["Ref"] in template["Parameters"]:
        return template["Parameters"][value["Ref"]].get("Default")
    if "FindInMap" in value:
        table, key, attribute = (with_defaults(v) for v in value["FindInMap"])
        return template["Mappings"][table][str(key)][attribute]
    return value


def resolve(value, refs):
    """Resolves !Ref and !GetAtt ...Arn of the template's own resources to local values."""
    if isinstance(value, dict) and "Ref" in value:
        return refs.get(value["Ref"], "")
    return str(value)


def warm_throughput(props, write_units=None):
    """A table's or index's WarmThroughput with the template's parameter defaults (or `write_units`),
    as numbers: moto keeps it and answers it in DescribeTable (`fanfare-webhooks doctor` reads it)."""
    warm = props.get("WarmThroughput")
    if not warm:
        return {}
    defaults = {name: p.get("Default") for name, p in load_template()["Parameters"].items()}
    value = lambda v: int(defaults[v["Ref"]]) if isinstance(v, dict) and "Ref" in v else int(v)
    resolved = {key: value(v) for key, v in warm.items()}
    if write_units is not None:
        resolved["WriteUnitsPerSecond"] = int(write_units)
    return {"WarmThroughput": resolved}


def create(session, endpoint, names, overrides=None):
    """The template's queues and tables in moto under `names` (logical id -> name); returns
    {logical id: queue URL or table name}. `overrides`: {(logical id, attribute): value}."""
    overrides = overrides or {}
    sqs = session.client("sqs", endpoint_url=endpoint)
    ddb = session.client("dynamodb", endpoint_url=endpoint)
    resources = load_template()["Resources"]
    refs, arns = {}, {}
    # Queues without a redrive policy first, so dead-letter targets exist.
    queues = sorted(((n, r) for n, r in resources.items() if r["Type"] == "AWS::SQS::Queue"),
                    key=lambda nr: "RedrivePolicy" in nr[1].get("Properties", {}))
    for name, res in queues:
        props = dict(res.get("Properties", {}))
        for (logical, key), value in overrides.items():
            if logical != name:
                continue
            if key == "maxReceiveCount":
                props["RedrivePolicy"] = {**props["RedrivePolicy"], "maxReceiveCount": value}
            else:
                props[key] = value
        attrs = queue_attributes(props, arns)
        url = sqs.create_queue(QueueName=names[name], Attributes=attrs)["QueueUrl"]
        refs[name] = url
        arns[name] = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    for name, res in resources.items():
        if res["Type"] != "AWS::DynamoDB::Table":
            continue
        props = res["Properties"]
        table = names[name]
        if table not in ddb.list_tables()["TableNames"]:
            extra = {}
            if "GlobalSecondaryIndexes" in props:
                extra["GlobalSecondaryIndexes"] = [
                    {**index, **warm_throughput(index, overrides.get((name, index["IndexName"])))}
                    for index in props["GlobalSecondaryIndexes"]]
            extra.update(warm_throughput(props, overrides.get((name, "WarmThroughput"))))
            ddb.create_table(TableName=table, BillingMode=props["BillingMode"],
                             AttributeDefinitions=props["AttributeDefinitions"], KeySchema=props["KeySchema"],
                             **extra)
            ttl = props.get("TimeToLiveSpecification")
            if ttl:
                ddb.update_time_to_live(TableName=table, TimeToLiveSpecification=ttl)
        refs[name] = table
    return refs


def session_for_moto():
    return boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1")


def for_test(prefix, endpoint, assignments):
    """Resources of one test, named by `prefix`; prints their URLs and names as JSON."""
    resources = load_template()["Resources"]
    names = {}
    for name, res in resources.items():
        if res["Type"] == "AWS::SQS::Queue":
            fifo = res.get("Properties", {}).get("FifoQueue")
            names[name] = f"{prefix}-{name}" + (".fifo" if fifo else "")
        elif res["Type"] == "AWS::DynamoDB::Table":
            names[name] = f"{prefix}-{name}"
    overrides = {}
    for assignment in assignments:
        target, value = assignment.split("=", 1)
        logical, key = target.split(".", 1)
        overrides[(logical, key)] = value
    print(json.dumps(create(session_for_moto(), endpoint, names, overrides)))


def main():
    env_file, endpoint, secret = sys.argv[1], sys.argv[2], sys.argv[3]
    overrides = dict(arg.split("=", 1) for arg in sys.argv[4:])
    session = session_for_moto()
    sm = session.client("secretsmanager", endpoint_url=endpoint)
    resources = load_template()["Resources"]

    refs = create(session, endpoint, NAMES)

    secret_name = NAMES["SigningSecret"]
    try:
        arn = sm.create_secret(Name=secret_name, SecretString=secret)["ARN"]
    except sm.exceptions.ResourceExistsException:
        arn = sm.put_secret_value(SecretId=secret_name, SecretString=secret) and sm.describe_secret(SecretId=secret_name)["ARN"]
    refs["SigningSecret"] = arn

    # Every function's environment, as the template declares it, resolved to local values.
    parameters = {k: str(v.get("Default", "")) for k, v in load_template().get("Parameters", {}).items()}
    env = {}
    for name, res in resources.items():
        if res["Type"] != "AWS::Serverless::Function":
            continue
        for key, value in res["Properties"].get("Environment", {}).get("Variables", {}).items():
            if isinstance(value, dict) and value.get("Ref") == "AWS::NoValue":
                continue  # absent in AWS; only `sam local` sets these (events/sam-env.json)
            if isinstance(value, dict) and value.get("Ref") in parameters:
                env[key] = parameters[value["Ref"]]
            else:
                env[key] = resolve(value, refs)
    env.update(overrides)
    env.update({"AWS_ENDPOINT_URL": endpoint, "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "test",
                "AWS_SECRET_ACCESS_KEY": "test"})
    with open(env_file, "w") as f:
        for key in sorted(env):
            f.write(f"{key}={env[key]}\n")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--test"]:
        for_test(sys.argv[2], sys.argv[3], sys.argv[4:])
    else:
        main()
