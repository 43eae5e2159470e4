"""Runs a command and checks its exit status: exit_code.py STATUS CMD ARGS..."""
import subprocess
import sys

want = int(sys.argv[1])
got = subprocess.call(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
if got != want:
    sys.exit(f"{sys.argv[2]} exited with {got}, expected {want}")
