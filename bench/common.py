"""What the CPU benchmarks share: running tools, timing calls, ONNX Runtime
sessions, and engines taking turns on a shared machine."""

import re
import statistics
import subprocess
import time


def sh(cmd):
    """Runs a tool; returns stdout + stderr, raises with their tails if it fails."""
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({r.returncode}):\n{r.stdout[-3000:]}"
                           f"{r.stderr[-3000:]}")
    return r.stdout + r.stderr


def tfm_run_latency(cmd):
    """Runs tfm-run with --repeat; returns its (median, min) latency in ms."""
    text = sh(cmd)
    m = re.search(r"latency: median ([0-9.]+) ms, min ([0-9.]+) ms", text)
    if not m:
        raise RuntimeError(f"{' '.join(cmd)} printed no latency:\n{text[-2000:]}")
    return float(m.group(1)), float(m.group(2))


def time_calls(fn, repeat):
    """Calls fn once to warm up, then `repeat` times; returns (median, min) ms."""
    fn()
    ms = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        ms.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(ms), min(ms)


def ort_session(path, threads):
    """An ONNX Runtime CPU session with every graph optimisation."""
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.log_severity_level = 3
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])


def take_turns(engines, rounds, label=""):
    """Runs every engine (name -> call returning (median, min) ms) `rounds`
    times, rotating the order each round and pausing between engines: the
    machine is shared and load drifts, and in-process thread pools spin for a
    while after their last call. Returns name -> (median of the medians, min
    of the mins)."""
    per_round = {name: [] for name in engines}
    for r in range(rounds):
        names = list(engines)
        names = names[r % len(names):] + names[:r % len(names)]
        for name in names:
            time.sleep(1.0)
            per_round[name].append(engines[name]())
            print(f"  {label}round {r} {name}: median {per_round[name][-1][0]:.1f} ms",
                  flush=True)
    return {n: (statistics.median(x[0] for x in v), min(x[1] for x in v))
            for n, v in per_round.items()}
