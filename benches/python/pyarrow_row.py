#!/usr/bin/env python3
"""Whole-process time and peak memory to show one row of a big Parquet file:
`promptstudio inspect FILE --row N --json` next to pyarrow reading the same
row (the row group that holds it, then the row), each in a fresh process.

Usage:
    python3 benches/python/pyarrow_row.py FILE [--row N ...] [--runs N]
        [--binary PATH] [--venv DIR]

FILE is the 10-million-row file `cargo bench --bench data` generates
(`target/bench-data/big.parquet`). Without --venv the script creates a
temporary virtualenv with pyarrow from the package registry and deletes it
afterwards. Prints one JSON document: for each tool and row, the median and
the worst wall time in milliseconds over --runs runs, and the largest peak RSS
in MB. The pyarrow time includes starting Python and importing pyarrow, as a
user running a script would pay it.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import venv

READ_ROW = """
import sys
import pyarrow.parquet as pq
path, row = sys.argv[1], int(sys.argv[2])
parquet = pq.ParquetFile(path)
start = 0
for group in range(parquet.num_row_groups):
    rows = parquet.metadata.row_group(group).num_rows
    if row < start + rows:
        table = parquet.read_row_group(group)
        print(table.slice(row - start, 1).to_pylist()[0]["label"])
        break
    start += rows
"""


def measure(command, runs):
    """Median and worst wall time (ms) and peak RSS (MB) of `command`, each
    run in a fresh child process."""
    times = []
    for _ in range(runs):
        before = time.perf_counter()
        completed = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        times.append((time.perf_counter() - before) * 1000)
        if completed.returncode != 0:
            sys.exit(f"{' '.join(command)} failed: {completed.stderr.decode(errors='replace')}")
    return times


def peak_rss_mb(command):
    # ru_maxrss of RUSAGE_CHILDREN is the largest of any child so far (KB on
    # Linux), so each command is measured from its own helper process.
    helper = (
        "import resource, subprocess, sys;"
        "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True);"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    output = subprocess.run([sys.executable, "-c", helper, *command], capture_output=True, check=True)
    return int(output.stdout) / 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file")
    parser.add_argument("--row", type=int, action="append", help="rows to read (default: 9999999 and 0)")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--binary", default="target/release/promptstudio")
    parser.add_argument("--venv", help="an existing virtualenv with pyarrow")
    args = parser.parse_args()
    rows = args.row or [9_999_999, 0]

    with tempfile.TemporaryDirectory() as scratch:
        environment = args.venv
        if environment is None:
            environment = os.path.join(scratch, "venv")
            venv.create(environment, with_pip=True)
            subprocess.run([os.path.join(environment, "bin", "python"), "-m", "pip", "install", "-q", "pyarrow"],
                           check=True)
        python = os.path.join(environment, "bin", "python")
        version = subprocess.run([python, "-c", "import pyarrow; print(pyarrow.__version__)"],
                                 capture_output=True, text=True, check=True).stdout.strip()
        results = []
        for row in rows:
            tools = {
                "promptstudio": [args.binary, "inspect", args.file, "--row", str(row), "--json"],
                f"pyarrow {version}": [python, "-c", READ_ROW, args.file, str(row)],
            }
            for tool, command in tools.items():
                times = measure(command, args.runs)
                results.append({
                    "tool": tool,
                    "row": row,
                    "median_ms": round(statistics.median(times), 1),
                    "worst_ms": round(max(times), 1),
                    "peak_rss_mb": round(peak_rss_mb(command), 1),
                })
    json.dump({"file": args.file, "runs": args.runs, "cpus": os.cpu_count(),
               "load_average": os.getloadavg(), "results": results}, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
