#!/usr/bin/env python3
"""make sam-invoke: every fixture in events/ through `sam local invoke` on Docker, each answer checked.

1. Picks the invoke image: SAM's own Lambda base image where it can be pulled, else the local stand-in
   that scripts/sam-standin-image.sh builds (Debian libraries, not Amazon Linux).
2. Serves moto (one request at a time) on the address Docker's `host-gateway` names, port 5056, and
   creates the template's queues, tables and signing secret (`whsec_test`, the fixtures' secret) in it.
   events/sam-env.json points the functions there; it is checked against what was created.
3. `sam build` (debug, the host's architecture) into .aws-sam/local, apart from the deployable build.
4. `sam local start-api`: one signed POST over HTTP must answer 200 and leave its event on the queue.
5. `sam local invoke` of every fixture: events/http/*_<status>.json must answer <status>, events/sqs/*.json
   an empty partial batch response. The commands are printed as run; the README shows the same ones.

Usage: sam_invoke.py [--if-docker]   (--if-docker: say SKIPPED and succeed where no Docker daemon answers)
"""
import concurrent.futures
import http.client
import json
import os
import platform
import re
import socket
import subprocess
import sys
import time

import moto_launch
import urllib.request
from pathlib import Path

import boto3

ROOT = Path(__file__).resolve().parent.parent
EVENTS = ROOT / "events"
ENV_VARS = EVENTS / "sam-env.json"
BUILD_DIR = ".aws-sam/local"
MOTO_PORT = 5056
# The name events/sam-env.json uses for the machine that runs Docker; SAM maps it with --add-host.
HOST_ALIAS = "host.docker.internal"
TEST_SECRET = "whsec_test"
SAM_BASE_IMAGE = "public.ecr.aws/lambda/provided:al2023-{arch}"
PARALLEL_INVOKES = 3
START_API_PORT = 3056


def run(cmd, **kwargs):
    return subprocess.run(cmd, cwd=ROOT, text=True, **kwargs)


def docker_answers():
    return run(["docker", "info"], capture_output=True).returncode == 0


def lambda_architecture():
    machine = platform.machine()
    return {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}[machine]


def invoke_image_flags(arch):
    """No flags where SAM's own base image is here or can be pulled; else the local stand-in."""
    own = SAM_BASE_IMAGE.format(arch=arch)
    if run(["docker", "image", "inspect", own], capture_output=True).returncode == 0:
        return [], own
    try:
        pulled = run(["docker", "pull", own], capture_output=True, timeout=300).returncode == 0
    except subprocess.TimeoutExpired:
        pulled = False
    if pulled:
        return [], own
    print(f"sam-invoke: {own} cannot be pulled here; using the local stand-in (Debian, not Amazon Linux)")
    standin = run([str(ROOT / "scripts/sam-standin-image.sh")], capture_output=True, check=True).stdout.strip()
    return ["--invoke-image", standin, "--skip-pull-image"], standin


def host_gateway_address(image):
    """The address Docker gives `host-gateway` inside a container: moto must listen there."""
    hosts = run(["docker", "run", "--rm", "--add-host", f"{HOST_ALIAS}:host-gateway", "--entrypoint", "cat",
                 image, "/etc/hosts"], capture_output=True, check=True).stdout
    for line in hosts.splitlines():
        fields = line.split()
        if len(fields) >= 2 and fields[1] == HOST_ALIAS:
            return fields[0]
    raise SystemExit("sam-invoke: Docker did not resolve host-gateway")


def start_moto(address):
    with socket.socket() as probe:
        if probe.connect_ex((address, MOTO_PORT)) == 0:
            raise SystemExit(f"sam-invoke: {address}:{MOTO_PORT} is taken; events/sam-env.json needs that port")
    return moto_launch.start(address, MOTO_PORT, str(ROOT / "target/sam-moto.log"))


def create_resources(endpoint):
    """The template's resources in moto; then events/sam-env.json must name exactly those."""
    created_env = ROOT / "target/sam-created.env"
    run([sys.executable, "scripts/dev_resources.py", str(created_env), endpoint, TEST_SECRET], check=True)
    created = dict(line.split("=", 1) for line in created_env.read_text().splitlines() if "=" in line)
    declared = json.loads(ENV_VARS.read_text())
    wrong = []
    for function, variables in declared.items():
        for name, value in variables.items():
            local = value.replace(f"//{HOST_ALIAS}:", f"//{endpoint.split('//')[1].split(':')[0]}:")
            if name == "SIGNING_SECRET_ARN":
                if f":secret:{value}-" not in created.get(name, ""):
                    wrong.append(f"{function}.{name}={value} (created {created.get(name)})")
            elif name in created and created[name] != local:
                wrong.append(f"{function}.{name}={value} (created {created[name]})")
    if wrong:
        raise SystemExit("sam-invoke: events/sam-env.json disagrees with the template's resources:\n  "
                         + "\n  ".join(wrong))
    session = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test",
                                    region_name="us-east-1")
    return session.client("sqs", endpoint_url=endpoint), created["EVENTS_QUEUE_URL"]


def sam_build(arch):
    started = time.monotonic()
    run(["sam", "build", "--build-dir", BUILD_DIR, "--parameter-overrides", f"Architecture={arch}"],
        check=True, env={**os.environ, "SAM_BUILD_MODE": "debug"}, capture_output=True)
    return time.monotonic() - started


def common_flags(arch, image_flags):
    return ["-t", f"{BUILD_DIR}/template.yaml", "--env-vars", "events/sam-env.json",
            "--parameter-overrides", f"Architecture={arch}",
            "--add-host", f"{HOST_ALIAS}:host-gateway", *image_flags]


def fixture_expectation(path):
    """(function, check) for one fixture file: ingest answers the status its name ends with."""
    if path.parent.name == "http":
        status = int(re.search(r"_(\d{3})$", path.stem).group(1))
        return "IngestFunction", lambda answer: answer.get("statusCode") == status
    return "ProcessorFunction", lambda answer: answer.get("batchItemFailures") == []


def invoke(fixture, arch, image_flags):
    function, check = fixture_expectation(fixture)
    cmd = ["sam", "local", "invoke", function, "-e", str(fixture.relative_to(ROOT)),
           *common_flags(arch, image_flags)]
    done = run(cmd, capture_output=True)
    answer = None
    for line in reversed(done.stdout.strip().splitlines()):
        try:
            answer = json.loads(line)
            break
        except json.JSONDecodeError:
            continue
    ok = done.returncode == 0 and isinstance(answer, dict) and check(answer)
    detail = "" if ok else f"\n    answer: {answer}\n    stderr: {done.stderr[-1500:]}"
    return ok, " ".join(cmd), detail


def post_through_start_api(arch, image_flags, sqs, queue_url):
    """A signed fixture POSTed over HTTP to `sam local start-api` is answered 200 and queued once."""
    fixture = json.loads((EVENTS / "http/consumer_created_scheme_a_200.json").read_text())
    sqs.purge_queue(QueueUrl=queue_url)
    cmd = ["sam", "local", "start-api", "--host", "127.0.0.1", "--port", str(START_API_PORT),
           *common_flags(arch, image_flags)]
    print("+ " + " ".join(cmd))
    log = open(ROOT / "target/sam-start-api.log", "w")
    api = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        for _ in range(150):
            try:
                with socket.create_connection(("127.0.0.1", START_API_PORT), timeout=1):
                    break
            except OSError:
                if api.poll() is not None:
                    raise SystemExit("sam-invoke: start-api exited; see target/sam-start-api.log")
                time.sleep(0.2)
        headers = {k: v for k, v in fixture["headers"].items()
                   if k not in ("host", "content-length") and not k.startswith("x-forwarded")}
        connection = http.client.HTTPConnection("127.0.0.1", START_API_PORT, timeout=60)
        connection.request("POST", fixture["rawPath"], body=fixture["body"].encode(), headers=headers)
        response = connection.getresponse()
        status, body = response.status, response.read().decode()
    finally:
        api.terminate()
        api.wait(timeout=30)
    queued = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
    ok = status == 200 and len(queued) == 1 and queued[0]["Body"] == fixture["body"]
    print(f"start-api: POST {fixture['rawPath']} answered {status} {body}; {len(queued)} message(s) queued"
          + ("" if ok else "  <-- WRONG"))
    return ok


def main():
    if_docker = "--if-docker" in sys.argv[1:]
    if not docker_answers():
        if if_docker:
            print("SKIPPED sam local invoke: no Docker daemon answers here (make sam-invoke needs one)")
            return 0
        raise SystemExit("sam-invoke: no Docker daemon answers")
    started = time.monotonic()
    (ROOT / "target").mkdir(exist_ok=True)
    arch = lambda_architecture()
    image_flags, image = invoke_image_flags(arch)
    moto, endpoint = start_moto(host_gateway_address(image))
    try:
        sqs, queue_url = create_resources(endpoint)
        build_seconds = sam_build(arch)
        print(f"sam build (debug, {arch}) into {BUILD_DIR}: {build_seconds:.0f} s")
        api_ok = post_through_start_api(arch, image_flags, sqs, queue_url)

        fixtures = sorted((EVENTS / "http").glob("*.json")) + sorted((EVENTS / "sqs").glob("*.json"))
        invoke_started = time.monotonic()
        # The first invoke builds SAM's emulator image; the rest share it.
        results = [invoke(fixtures[0], arch, image_flags)]
        with concurrent.futures.ThreadPoolExecutor(PARALLEL_INVOKES) as pool:
            results += pool.map(lambda f: invoke(f, arch, image_flags), fixtures[1:])
        print("+ " + results[0][1] + "   (and so on for every fixture)")
        wrong = 0
        for fixture, (ok, _, detail) in zip(fixtures, results):
            print(("ok    " if ok else "WRONG ") + str(fixture.relative_to(ROOT)) + detail)
            wrong += not ok
        invoke_seconds = time.monotonic() - invoke_started
    finally:
        moto.terminate()
        moto.wait(timeout=30)
    print(f"sam local invoke: {len(results) - wrong} of {len(results)} fixtures gave their documented answer "
          f"in {invoke_seconds:.0f} s; start-api {'ok' if api_ok else 'WRONG'}; "
          f"whole step {time.monotonic() - started:.0f} s")
    return 0 if wrong == 0 and api_ok else 1


if __name__ == "__main__":
    sys.exit(main())
