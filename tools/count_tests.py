#!/usr/bin/env python3
"""Prints "<passed> <failed> <skipped>" gtest cases over bazel-testlogs.

Reads bazel-testlogs/**/test.xml. A target with no test case in its XML (a
crash, a timeout) counts as one failure. A skipped case counts as failed
under CI=true (a kernel-tier skip proves nothing there), else as skipped.
"""
import os
import xml.etree.ElementTree as ET

ci = os.environ.get("CI") == "true"
passed = failed = skipped = 0
for dirpath, _, files in os.walk("bazel-testlogs", followlinks=True):
    if "test.log" not in files:
        continue
    cases = []
    if "test.xml" in files:
        try:
            cases = list(ET.parse(os.path.join(dirpath, "test.xml")).getroot().iter("testcase"))
        except ET.ParseError:
            pass
    if not cases:
        failed += 1
        continue
    for case in cases:
        if case.find("failure") is not None or case.find("error") is not None:
            failed += 1
        elif case.get("result") == "suppressed" or case.get("status") == "notrun":
            continue  # a DISABLED_ case: declared, not run, neither passed nor failed
        elif case.find("skipped") is not None or case.get("result") == "skipped":
            if ci:
                failed += 1
            else:
                skipped += 1
        else:
            passed += 1
print(passed, failed, skipped)
