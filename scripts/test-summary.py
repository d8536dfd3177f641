#!/usr/bin/env python3
"""Prints one closing line for `make test`, counted from what each runner itself reported.

`make test` runs five runners in turn (swift test, the browser flows, the Stripe conformance suite, the CI
chaos scenarios, the self-contained binary test); each one's output is kept in .local/test-logs/. A stage
that did not run is left out; make has already stopped at a stage that failed, so reaching this script
means every stage that ran passed.
"""
import pathlib
import re
import sys

logs = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".local/test-logs")
parts = []


def read(name):
    p = logs / name
    return p.read_text(errors="replace") if p.exists() else None


swift = read("swift.log")
if swift is not None:
    m = re.findall(r"Test run with (\d+) tests? in \d+ suites? passed", swift)
    if not m:
        sys.exit("test-summary: swift test reported no passing run")
    parts.append(("swift test", int(m[-1])))


def unittest_run(log, name, ok):
    """The test count of a Python unittest run whose closing line matches `ok`, or exit."""
    text = read(log)
    if text is None:
        return
    m = re.findall(r"^Ran (\d+) tests? in", text, re.MULTILINE)
    if not m or not re.search(ok, text, re.MULTILINE):
        sys.exit(f"test-summary: {name} did not report OK" + (" with no case skipped" if ok.endswith("$") else ""))
    parts.append((name, int(m[-1])))


unittest_run("browser.log", "browser flows", r"^OK\b")
unittest_run("conformance.log", "stripe conformance", r"^OK$")  # a skipped case fails the run

chaos = read("chaos.log")
if chaos is not None:
    m = re.findall(r"^(\d+) passed, (\d+) failed$", chaos, re.MULTILINE)
    if not m or m[-1][1] != "0":
        sys.exit("test-summary: the chaos scenarios did not all pass")
    parts.append(("chaos scenarios", int(m[-1][0])))

dist = read("dist.log")
if dist is not None:
    m = re.findall(r"^(\d+) passed, (\d+) failed$", dist, re.M)
    if not m or m[-1][1] != "0":
        sys.exit("test-summary: the self-contained binary test did not pass")
    parts.append(("dist test", int(m[-1][0])))

total = sum(n for _, n in parts)
print("make test: " + ", ".join(f"{name} {n}" for name, n in parts))
print(f"total: {total} passed, 0 failed")
