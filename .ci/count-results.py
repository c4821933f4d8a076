#!/usr/bin/env python3
"""Counts passed and failed tests in meson's testlog.json: TAP subtests where a test speaks
TAP, whole tests otherwise. Prints "PASSED FAILED"."""
import json
import re
import sys

passed = failed = 0
with open(sys.argv[1], encoding="utf-8") as log:
    for line in log:
        entry = json.loads(line)
        result = entry.get("result", "")
        ok_lines = not_ok_lines = 0
        if entry.get("protocol") == "tap" or "--tap" in " ".join(entry.get("command", [])):
            for out in (entry.get("stdout") or "").splitlines():
                if re.match(r"^ok \d+", out) and "# SKIP" not in out:
                    ok_lines += 1
                elif re.match(r"^not ok \d+", out) and "# TODO" not in out:
                    not_ok_lines += 1
        if ok_lines or not_ok_lines:
            passed += ok_lines
            failed += not_ok_lines
            # A crash after the last subtest still fails the test.
            if result not in ("OK", "EXPECTEDFAIL", "SKIP") and not_ok_lines == 0:
                failed += 1
        elif result in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif result != "SKIP":
            failed += 1
print(passed, failed)
