#!/usr/bin/env python3
"""Counts passed and failed tests in meson's testlog.json: TAP subtests where a test speaks
TAP, whole tests otherwise. Prints "PASSED FAILED". With a second argument, appends a line
naming each failure to that file."""
import json
import re
import sys

passed = failed = 0
failures = []
with open(sys.argv[1], encoding="utf-8") as log:
    for line in log:
        entry = json.loads(line)
        name = entry.get("name", "?")
        result = entry.get("result", "")
        ok_lines = not_ok_lines = 0
        last_ok = None
        if entry.get("protocol") == "tap" or "--tap" in " ".join(entry.get("command", [])):
            for out in (entry.get("stdout") or "").splitlines():
                if re.match(r"^ok \d+", out) and "# SKIP" not in out:
                    ok_lines += 1
                    last_ok = out
                elif re.match(r"^not ok \d+", out) and "# TODO" not in out:
                    not_ok_lines += 1
                    failures.append(f"{name}: {out}")
        if ok_lines or not_ok_lines:
            passed += ok_lines
            failed += not_ok_lines
            # A crash after the last subtest still fails the test.
            if result not in ("OK", "EXPECTEDFAIL", "SKIP") and not_ok_lines == 0:
                failed += 1
                failures.append(f"{name}: {result} after {ok_lines} passed subtests"
                                f" (last: {last_ok})")
        elif result in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif result != "SKIP":
            failed += 1
            failures.append(f"{name}: {result}")
if len(sys.argv) > 2:
    with open(sys.argv[2], "a", encoding="utf-8") as out:
        for failure in failures:
            out.write(failure + "\n")
print(passed, failed)
