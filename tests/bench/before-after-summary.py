#!/usr/bin/env python3
# Summarizes the logs of tests/bench/before-after.sh: per figure, each version's median and
# range over all runs, and the median and range of the per-round ratios after / before (the
# two versions of a round ran back to back, so the ratio is the fairer comparison).
#
# usage: tests/bench/before-after-summary.py LOG-DIR ROUNDS
import os
import re
import statistics
import sys

CLIENT_RUN = re.compile(r'run \d+: first frame ([\d.]+) ms, open ([\d.]+) ms \(at newest ([\d.]+)'
                        r' ms\), RSS ([\d.]+) MiB after start, ([\d.]+) MiB open')
FIGURES = {
    'client': ['start -> first frame (ms)', 'select -> first rows (ms)',
               'select -> newest (ms)', 'RSS after start (MiB)', 'RSS, conversation open (MiB)'],
    'plain': ['durable messages/s', 'latency p50 (ms)', 'latency p99 (ms)', 'server RSS (MiB)'],
    'tls': ['durable messages/s', 'latency p50 (ms)', 'latency p99 (ms)', 'server RSS (MiB)'],
    'rate': ['durable messages/s', 'latency p50 (ms)', 'latency p99 (ms)', 'server RSS (MiB)'],
}


def runs(path):
    """The figures of one log: a list of tuples (one per client run, one for a server run)."""
    text = open(path).read()
    if os.path.basename(path).startswith('client.'):
        return [tuple(float(v) for v in m) for m in CLIENT_RUN.findall(text)]
    rate = re.search(r'durable messages/s: (\d+)', text)
    latency = re.search(r'p50 ([\d.]+)\s+p99 ([\d.]+)', text)
    rss = re.search(r'server RSS: ([\d.]+)', text)
    if not (rate and latency and rss):
        sys.exit(f'{path}: no result')
    return [(float(rate.group(1)), float(latency.group(1)), float(latency.group(2)),
             float(rss.group(1)))]


def main():
    log_dir, rounds = sys.argv[1], int(sys.argv[2])
    print(f'{"figure":40} {"before: median [range]":>26} {"after: median [range]":>26}'
          f' {"after/before per round":>24}')
    for kind, names in FIGURES.items():
        per_round = {version: [runs(os.path.join(log_dir, f'{kind}.{version}.{r}'))
                               for r in range(1, rounds + 1)]
                     for version in ('before', 'after')}
        for i, name in enumerate(names):
            cells = []
            for version in ('before', 'after'):
                values = sorted(run[i] for rnd in per_round[version] for run in rnd)
                cells.append(f'{statistics.median(values):.1f} [{values[0]:.1f}-{values[-1]:.1f}]')
            ratios = sorted(statistics.median(run[i] for run in a)
                            / statistics.median(run[i] for run in b)
                            for a, b in zip(per_round['after'], per_round['before']))
            print(f'{kind + ": " + name:40} {cells[0]:>26} {cells[1]:>26}'
                  f' {statistics.median(ratios):>8.2f} [{ratios[0]:.2f}-{ratios[-1]:.2f}]')


main()
