#!/usr/bin/env bash
# make test: every check, then one closing line with the totals of all test binaries.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here"
export PATH="$here/.venv/bin:$PATH"
mkdir -p target
log="target/test-output.log"

cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
cfn-lint template.yaml
echo "cfn-lint: template.yaml clean"
# Every finding is fixed or skipped inline with its reason; a new one fails the run.
"$here/.venv/checkov/bin/checkov" -f template.yaml --framework cloudformation --compact --quiet --skip-download
python3 scripts/check_template.py
python3 scripts/check_tls.py --self-test
python3 scripts/check_tls.py
# The template as a brand deploys it with a handler that sends email (SES), reads an API key and
# calls a private ERP from inside a VPC.
sed -e '/^  HandlerPolicyArns:/,/Default:/ s|Default: ""|Default: "arn:aws:iam::aws:policy/AmazonSESFullAccess"|' \
    -e '/^  HandlerSecretArn:/,/Default:/ s|Default: ""|Default: "arn:aws:secretsmanager:us-east-1:123456789012:secret:brand-erp-AbCdEf"|' \
    -e '/^  ProcessorSubnetIds:/,/Default:/ s|Default: ""|Default: "subnet-0a1b2c3d,subnet-0e4f5a6b"|' \
    -e '/^  ProcessorSecurityGroupIds:/,/Default:/ s|Default: ""|Default: "sg-0a1b2c3d4e5f"|' \
    template.yaml >target/template-with-handler.yaml
grep -q AmazonSESFullAccess target/template-with-handler.yaml
grep -q subnet-0a1b2c3d target/template-with-handler.yaml
grep -q sg-0a1b2c3d4e5f target/template-with-handler.yaml
cfn-lint target/template-with-handler.yaml
"$here/.venv/checkov/bin/checkov" -f target/template-with-handler.yaml --framework cloudformation --compact --quiet --skip-download
echo "template with a handler's SES policy, secret and VPC: cfn-lint and checkov clean"
scripts/with-moto.sh cargo test --workspace 2>&1 | tee "$log"
# A handler kept out of tree builds against this version, with one TLS stack.
scripts/out_of_tree.sh
# The chaos soak's small profile (the full 10,000 events: make soak). `cargo test` built the binary.
scripts/with-moto.sh target/debug/soak run --events "${SOAK_TEST_EVENTS:-500}" --max-secs 300 \
  --out-dir target/soak-test 2>&1 | tee target/soak-test.log
# Every fixture through `sam local invoke` on Docker; says SKIPPED where no Docker daemon answers.
python3 scripts/sam_invoke.py --if-docker 2>&1 | tee target/sam-invoke.log

awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "%d passed, %d failed\n", p, f }' "$log"
