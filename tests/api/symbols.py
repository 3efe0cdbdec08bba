#!/usr/bin/env python3
"""symbols.py LIB MAP: the dynamic symbols libcouponlib.so defines are
exactly the names of the version script (nm -D --defined-only), and each is
bound to a version node of the script."""
import re
import subprocess
import sys


def main(lib, mapfile):
    text = open(mapfile).read()
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    nodes = re.findall(r"([\w.]+)\s*\{(.*?)\}", text, flags=re.S)
    wanted = {}
    node_names = {node for node, _ in nodes}
    for node, body in nodes:
        body = body.split("local:")[0].replace("global:", "")
        for name in re.findall(r"([A-Za-z_]\w*)\s*;", body):
            wanted[name] = node
    out = subprocess.run(["nm", "-D", "--defined-only", lib], check=True,
                         capture_output=True, text=True).stdout
    got = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) < 3:
            continue
        name = parts[2]
        version = ""
        if "@" in name:
            name, version = name.split("@", 1)
            version = version.lstrip("@")
        if parts[1] == "A" and name in node_names:
            continue  # a version node's own symbol
        got[name] = version
    passed = failed = 0
    for name in sorted(set(wanted) | set(got)):
        if name not in got:
            print(f"FAIL {name}: in the version script, not exported")
            failed += 1
        elif name not in wanted:
            print(f"FAIL {name}: exported, not in the version script")
            failed += 1
        elif got[name] != wanted[name]:
            print(f"FAIL {name}: version {got[name]!r}, want {wanted[name]!r}")
            failed += 1
        else:
            passed += 1
    if not wanted:
        print("FAIL the version script lists no symbols")
        failed += 1
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
