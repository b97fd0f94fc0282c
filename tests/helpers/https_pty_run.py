#!/usr/bin/python3
"""Run a command with its stderr on a new pseudo-terminal.

    https_pty_run.py TTYLOG STDOUT -- COMMAND [ARG...]

The upload tests need rdiag to see a terminal on stderr (progress is drawn
only there) while stdout stays a plain file they can parse. TTYLOG gets
every byte the command wrote to the terminal, STDOUT its standard output;
stdin is /dev/null. Exit status: the command's (128+N for signal N).
"""
import os
import subprocess
import sys


def main():
    if len(sys.argv) < 5 or sys.argv[3] != "--":
        sys.stderr.write(__doc__)
        return 2
    master, slave = os.openpty()
    with open(sys.argv[2], "wb") as out, open(os.devnull, "rb") as null:
        p = subprocess.Popen(sys.argv[4:], stdin=null, stdout=out,
                             stderr=slave, start_new_session=True)
    os.close(slave)
    got = bytearray()
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the last writer closed the terminal
            break
        if not data:
            break
        got += data
    rc = p.wait()
    os.close(master)
    with open(sys.argv[1], "wb") as f:
        f.write(got)
    return rc if rc >= 0 else 128 - rc


if __name__ == "__main__":
    sys.exit(main())
