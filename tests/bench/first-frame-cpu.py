#!/usr/bin/env python3
# Runs the program named by CONFAB_REAL_BIN as confab-client-bench runs its CONFAB_BIN (the
# bench's stdin and stdout pass through) and, when the probe reports the first frame, writes
# to stderr the CPU time the program's threads have used until then (each thread's
# /proc/PID/task/TID/schedstat; threads that already ended are not counted). That is the work
# the start-up did, which a loaded machine does not stretch as it stretches wall time. Any
# version's bench can run it:
#
#   CONFAB_BIN=tests/bench/first-frame-cpu.py CONFAB_REAL_BIN=<build>/tests/confab-bench-launcher \
#     tests/run-with-keyring.sh xvfb-run -a -s '-screen 0 1280x800x24' \
#     <build>/tests/confab-client-bench --runs 5 --scroll-runs 0
#
# (before the probe left the program, CONFAB_REAL_BIN is <build>/src/confab).
import os
import subprocess
import sys


def cpu_ms(pid):
    total = 0
    task_dir = f'/proc/{pid}/task'
    for tid in os.listdir(task_dir):
        try:
            with open(f'{task_dir}/{tid}/schedstat') as f:
                total += int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            pass
    return total / 1e6


def main():
    child = subprocess.Popen([os.environ['CONFAB_REAL_BIN']] + sys.argv[1:],
                             stdout=subprocess.PIPE)
    for line in child.stdout:
        if line.startswith(b'first-frame '):
            print(f'first-frame-cpu {cpu_ms(child.pid):.1f} ms', file=sys.stderr, flush=True)
        sys.stdout.buffer.write(line)
        sys.stdout.buffer.flush()
    sys.exit(child.wait())


main()
