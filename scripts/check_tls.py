#!/usr/bin/env python3
"""Fails when the crate graph holds a second TLS stack beside the receiver's (rustls 0.23 with ring).

An AWS SDK crate with its default features, or reqwest with native-tls, adds OpenSSL or aws-lc (a C
build, slower cold starts, a second set of roots to patch) without a word: `make lint` runs this on
the workspace, and `make test` on a handler kept out of tree. Pass cargo tree's flags, e.g.
`--manifest-path ../brand/Cargo.toml`; `--self-test` checks the rule itself.
"""
import subprocess
import sys

# Crates that are a TLS stack (or its crypto) other than ours.
FOREIGN = {"openssl", "openssl-sys", "native-tls", "aws-lc-rs", "aws-lc-sys", "aws-lc-fips-sys",
           "schannel", "security-framework"}
# Ours, in exactly one version.
SINGLE = {"rustls", "hyper-rustls", "tokio-rustls"}


def second_stacks(packages):
    """What in `packages` ("name vX.Y.Z" lines) is a second TLS stack, as messages."""
    found, versions = [], {}
    for line in packages:
        parts = line.split()
        if len(parts) < 2:
            continue
        name, version = parts[0], parts[1]
        if name in FOREIGN:
            found.append(f"{name} {version}: a TLS stack other than rustls with ring")
        if name in SINGLE:
            versions.setdefault(name, set()).add(version)
    for name, seen in sorted(versions.items()):
        if len(seen) > 1:
            found.append(f"{name} in {len(seen)} versions ({', '.join(sorted(seen))}): two TLS stacks")
    return found


def self_test():
    ours = ["rustls v0.23.31", "hyper-rustls v0.27.7", "ring v0.17.14", "tokio-rustls v0.26.2"]
    assert second_stacks(ours) == [], "our own stack flagged"
    assert second_stacks(ours + ["aws-lc-sys v0.30.0"]), "aws-lc not flagged"
    assert second_stacks(ours + ["openssl-sys v0.9.109"]), "OpenSSL not flagged"
    assert second_stacks(ours + ["rustls v0.21.12", "hyper-rustls v0.24.2"]), "a legacy rustls not flagged"
    print("check_tls.py: self-test passed")


def main():
    if sys.argv[1:] == ["--self-test"]:
        return self_test()
    flags = sys.argv[1:] or ["--workspace"]
    tree = subprocess.run(["cargo", "tree", "-e", "normal", "--prefix", "none", "--format", "{p}",
                           *flags], check=True, capture_output=True, text=True).stdout
    problems = second_stacks(sorted(set(tree.splitlines())))
    if problems:
        for problem in problems:
            print(f"check_tls.py: {problem}", file=sys.stderr)
        print("Build every client without default features and with the workspace's TLS features "
              "(an AWS SDK crate: features = [\"rt-tokio\"], reqwest: [\"rustls-tls\"]); "
              "`cargo tree -i <crate>` shows what pulls it in.", file=sys.stderr)
        sys.exit(1)
    print("check_tls.py: one TLS stack (rustls with ring)")


if __name__ == "__main__":
    main()
