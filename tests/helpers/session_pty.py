#!/usr/bin/python3
"""Run a command on a new pseudo-terminal and drive it from a step file.

The session tests need a real terminal for the customer's side (the
consent prompt, Ctrl-C, the read-only mirror) and for an engineer's
interactive ssh (window-size changes). This is a small, dependency-free
stand-in for expect:

    session_pty.py LOG STEPS -- COMMAND [ARG...]

LOG receives everything the command printed. STEPS holds one step a line:

    expect REGEX [SECONDS]   wait until the output since the last match
                             matches (default 20 s)
    send TEXT                type TEXT (Python escapes: \\r \\n \\x03)
    sleep SECONDS
    resize ROWS COLS         change the terminal size (SIGWINCH)
    bg SHELL-COMMAND         start a shell command, do not wait for it
    waitfile PATH [SECONDS]  wait until PATH exists
    wait [SECONDS]           wait for COMMAND to exit (default 20 s)

Exit status: COMMAND's (128+N for signal N), or 98 when a step timed out.
"""
import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
import time


def set_size(fd, rows, cols):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def main():
    if len(sys.argv) < 5 or sys.argv[3] != "--":
        sys.stderr.write(__doc__)
        return 2
    log_path, steps_path, cmd = sys.argv[1], sys.argv[2], sys.argv[4:]
    steps = [l.rstrip("\n") for l in open(steps_path) if l.strip()]
    pid, fd = pty.fork()
    if pid == 0:
        try:
            os.execvp(cmd[0], cmd)
        finally:
            os._exit(127)
    set_size(fd, 24, 80)
    log = open(log_path, "wb")
    out = bytearray()
    mark = 0
    status = None

    def pump(timeout):
        nonlocal status
        r, _, _ = select.select([fd], [], [], timeout)
        if r:
            try:
                data = os.read(fd, 65536)
            except OSError:
                data = b""
            if data:
                out.extend(data)
                log.write(data)
                log.flush()
                return True
        if status is None:
            p, st = os.waitpid(pid, os.WNOHANG)
            if p == pid:
                status = st
        return False

    def timed_out(what):
        sys.stderr.write("session_pty: timed out: %s\n" % what)
        sys.stderr.write("session_pty: output so far:\n%s\n"
                         % out.decode("utf-8", "replace"))
        return 98

    for step in steps:
        word, _, arg = step.partition(" ")
        if word == "expect":
            m = re.match(r"^(.*?)(?:\s+(\d+(?:\.\d+)?))?$", arg)
            pattern, secs = m.group(1), float(m.group(2) or 20)
            rx = re.compile(pattern.encode())
            end = time.monotonic() + secs
            while True:
                found = rx.search(out, mark)
                if found:
                    mark = found.end()
                    break
                if time.monotonic() > end:
                    return timed_out(step)
                if not pump(0.1) and status is not None:
                    found = rx.search(out, mark)
                    if found:
                        mark = found.end()
                        break
                    return timed_out(step + " (command exited)")
        elif word == "send":
            os.write(fd, arg.encode().decode("unicode_escape").encode("latin-1"))
        elif word == "sleep":
            end = time.monotonic() + float(arg)
            while time.monotonic() < end:
                pump(0.05)
        elif word == "resize":
            rows, cols = (int(x) for x in arg.split())
            set_size(fd, rows, cols)
        elif word == "bg":
            subprocess.Popen(["/bin/sh", "-c", arg])
        elif word == "waitfile":
            parts = arg.split()
            end = time.monotonic() + float(parts[1] if len(parts) > 1 else 20)
            while not os.path.exists(parts[0]):
                if time.monotonic() > end:
                    return timed_out(step)
                pump(0.05)
        elif word == "wait":
            end = time.monotonic() + float(arg or 20)
            while status is None:
                if time.monotonic() > end:
                    return timed_out(step)
                pump(0.1)
            while pump(0.05):
                pass
        else:
            sys.stderr.write("session_pty: unknown step %r\n" % step)
            return 2
    while status is None:
        if not pump(0.1) and status is None:
            # The command outlived its steps: stop it, it is a test.
            os.kill(pid, 15)
            time.sleep(0.2)
    if os.WIFEXITED(status):
        return os.WEXITSTATUS(status)
    return 128 + os.WTERMSIG(status)


if __name__ == "__main__":
    sys.exit(main())
