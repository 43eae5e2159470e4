"""Checks that a CUDA artifact links against the tfm CUDA runtime.

    python3 check_host_abi.py NM ARTIFACT.o RUNTIME.so

Every symbol the artifact leaves undefined must be defined by the runtime
library, or be one of the C library / MLIR runner functions every tfm
artifact uses. Prints the runtime functions used, one per line, sorted.
"""
import subprocess
import sys

HOST = {"malloc", "free", "memcpy", "memset", "memmove", "memrefCopy",
        "_GLOBAL_OFFSET_TABLE_"}


def symbols(nm, path, *flags):
    out = subprocess.run([nm, *flags, path], check=True, stdout=subprocess.PIPE, text=True).stdout
    return {line.split()[-1] for line in out.splitlines() if line.strip()}


def main():
    nm, artifact, runtime = sys.argv[1:4]
    undefined = symbols(nm, artifact, "--undefined-only")
    provided = symbols(nm, runtime, "-D", "--defined-only")
    missing = sorted(undefined - provided - HOST)
    if missing:
        print("undefined in the artifact and not in the runtime: " + ", ".join(missing))
        sys.exit(1)
    for s in sorted(undefined & provided):
        print(s)


if __name__ == "__main__":
    main()
