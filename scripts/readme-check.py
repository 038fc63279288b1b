#!/usr/bin/env python3
"""Keeps the README's demo transcript true: runs scripts/demo.sh (or reads
its output from a file) and checks that every line of the transcript in
README.md's "## The demo" section appears in the real output, in order.

What changes from run to run is not compared: numbers, hex (capabilities,
ports, addresses, MACs, 0x values such as a faulting eip, which moves as the
user library changes) and runs of spaces. Lines must follow each other
as in the output; a line "..." in the README stands for lines left out. A line that no longer appears is printed with
its README line number and the output is kept, so the README can be
brought up to date from it.

    scripts/readme-check.py                 run the demo, check
    scripts/readme-check.py --output FILE   check against a saved demo output
    scripts/readme-check.py --show          run the demo and print its transcript part
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
HEX = re.compile(r"\b0x[0-9a-fA-F]+\b|\b[0-9a-f]{2}(?::[0-9a-f]{2}){3,}\b|\b[0-9a-f]{8,}\b")
NUMBER = re.compile(r"\d+")
SPACES = re.compile(r"\s+")


def normal(line):
    line = HEX.sub("H", line.strip())
    line = NUMBER.sub("N", line)
    return SPACES.sub(" ", line)


def readme_transcript():
    lines = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read().split("\n")
    start = lines.index("## The demo")
    fence = next(i for i in range(start, len(lines)) if lines[i].startswith("```"))
    end = next(i for i in range(fence + 1, len(lines)) if lines[i].startswith("```"))
    return [(n + 1, lines[n]) for n in range(fence + 1, end)]


def run_demo():
    env = dict(os.environ)
    env.pop("KEEP", None)
    # A session of its own: without the caller's terminal, ax gives its
    # programs no TTY, so the transcript is the same from a terminal and CI.
    out = subprocess.run(["scripts/demo.sh"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, timeout=900, start_new_session=True)
    text = out.stdout.decode("utf-8", "replace")
    if out.returncode != 0:
        sys.stdout.write(text[-3000:])
        sys.exit(f"readme-check: scripts/demo.sh failed (exit {out.returncode})")
    return text


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--output", help="demo output saved earlier, instead of running the demo")
    p.add_argument("--show", action="store_true", help="print the demo's transcript lines and stop")
    args = p.parse_args()
    text = open(args.output, encoding="utf-8").read() if args.output else run_demo()
    produced = [l for l in text.split("\n") if not l.startswith("==>")]
    if args.show:
        print("\n".join(produced))
        return
    # The transcript in runs of consecutive lines, split where it says
    # "...": each run must appear whole and in order; blank lines do not count.
    runs, run = [], []
    for n, line in readme_transcript():
        if line.strip() == "...":
            if run:
                runs.append(run)
            run = []
        elif line.strip():
            run.append((n, line))
    if run:
        runs.append(run)
    wanted = [x for r in runs for x in r]
    got = [normal(l) for l in produced if l.strip()]
    at = 0
    missing = []
    for run in runs:
        keys = [normal(l) for _, l in run]
        found = next((i for i in range(at, len(got) - len(keys) + 1) if got[i:i + len(keys)] == keys), None)
        if found is None:
            # Say which line breaks the run: the longest prefix that appears.
            best = 0
            for i in range(at, len(got)):
                k = 0
                while k < len(keys) and i + k < len(got) and got[i + k] == keys[k]:
                    k += 1
                best = max(best, k)
            missing.append(run[min(best, len(run) - 1)])
        else:
            at = found + len(keys)
    if missing:
        kept = tempfile.NamedTemporaryFile("w", delete=False, prefix="demo-output.", suffix=".txt")
        kept.write(text)
        kept.close()
        for n, line in missing:
            print(f"README.md:{n}: differs from the demo's output here: {line}")
        print(f"readme-check: {len(missing)} of {len(wanted)} transcript lines stale; "
              f"the demo's output is in {kept.name}")
        sys.exit(1)
    print(f"readme-check: all {len(wanted)} transcript lines of README.md appear in the demo's output")


if __name__ == "__main__":
    main()
