// Bad usage and bad inputs: a clear message and exit 2, never a crash.
// RUN: %python %S/Inputs/make_npy.py %t
// RUN: not tfm-run %s --input=%t/missing.npy 2>&1 | FileCheck %s --check-prefix=MISSING
// MISSING: tfm-run: error: {{.*}}missing.npy: cannot open
// RUN: not tfm-run %s --input=%t/garbage.npy 2>&1 | FileCheck %s --check-prefix=GARBAGE
// GARBAGE: tfm-run: error: {{.*}}garbage.npy: not a .npy file
// RUN: not tfm-run %s --input=%t/x23.npy 2>&1 | FileCheck %s --check-prefix=COUNT
// COUNT: tfm-run: error: @main takes 2 inputs, got 1
// RUN: not tfm-run %s --input=%t/x23.npy --input=%t/x24.npy 2>&1 | FileCheck %s --check-prefix=SHAPE
// SHAPE: tfm-run: error: input 1 has shape [2, 4], but @main expects [?, 3]
// RUN: not tfm-run %s --input=%t/x23.npy --input=%t/i23.npy 2>&1 | FileCheck %s --check-prefix=DTYPE
// DTYPE: tfm-run: error: input 1 has dtype int64, but @main expects float32
// RUN: not tfm-run %s --entry=nope --input=%t/x23.npy 2>&1 | FileCheck %s --check-prefix=ENTRY
// ENTRY: tfm-run: error: no function @nope in the module (it has @main)
// RUN: not tfm-run %s --random-inputs 2>&1 | FileCheck %s --check-prefix=DIM
// DIM: tfm-run: error: input 0 dimension 0 is dynamic: bind it with --dim=arg0.0=VALUE
// RUN: not tfm-run %s --random-inputs --input=%t/x23.npy 2>&1 | FileCheck %s --check-prefix=BOTH
// BOTH: tfm-run: error: use either --input or --random-inputs, not both
// RUN: not tfm-run %s --device=tpu 2>&1 | FileCheck %s --check-prefix=DEVICE
// DEVICE: tfm-run: error: --device=tpu: expected cpu or cuda
// RUN: not tfm-run %s --device=cuda --emulate-tensor-core-attention 2>&1 | FileCheck %s --check-prefix=EMULATE
// EMULATE: tfm-run: error: --emulate-tensor-core-attention runs on the cpu; the cuda device runs the kernels themselves
// RUN: not tfm-run %s --device=cuda --emulate-gpu-kernels 2>&1 | FileCheck %s --check-prefix=EMULATE-KERNELS
// EMULATE-KERNELS: tfm-run: error: --emulate-gpu-kernels runs on the cpu; the cuda device runs the kernels themselves
// RUN: not tfm-run %s --emulate-in-reverse 2>&1 | FileCheck %s --check-prefix=REVERSE
// REVERSE: tfm-run: error: --emulate-in-reverse needs --emulate-gpu-kernels
// RUN: not tfm-run %t/missing.mlir 2>&1 | FileCheck %s --check-prefix=NOFILE
// NOFILE: tfm-run: error: cannot open input file {{.*}}missing.mlir
// RUN: not tfm-run %s --input=%t/x23.npy --input=%t/x23.npy --expected=%t/x23.npy --expected=%t/x23.npy 2>&1 | FileCheck %s --check-prefix=NEXP
// NEXP: tfm-run: error: --expected given 2 times, but @main has 1 results

// Mismatch: exit 1, with the errors printed.
// RUN: not tfm-run %s --input=%t/x23.npy --input=%t/x23.npy --expected=%t/x23.npy | FileCheck %s --check-prefix=MISMATCH
// RUN: %python %S/Inputs/exit_code.py 1 tfm-run %s --input=%t/x23.npy --input=%t/x23.npy --expected=%t/x23.npy
// RUN: %python %S/Inputs/exit_code.py 2 tfm-run %s --input=%t/garbage.npy
// MISMATCH: output 0: max abs error {{.*}}: MISMATCH in 6 of 6 elements

// Match: exit 0, and --output writes the result; --repeat prints latencies.
// RUN: tfm-run %s --input=%t/x23.npy --input=%t/x23.npy --expected=%t/x23x2.npy --output=%t/y.npy --repeat=3 | FileCheck %s --check-prefix=OK
// OK: output 0: max abs error 0.000e+00, max rel error 0.000e+00 (atol 1e-05, rtol 1e-05): ok
// OK: latency: median {{.*}} ms, min {{.*}} ms over 3 runs
// RUN: %python -c "import numpy as np; a = np.load('%t/y.npy'); b = np.load('%t/x23x2.npy'); assert a.dtype == np.float32 and (a == b).all()"

// Random inputs with named dimensions.
// RUN: tfm-run %s --random-inputs --seed=3 --dim=arg0.0=5 --dim=arg1.0=5 --output=%t/r.npy
// RUN: %python -c "import numpy as np; assert np.load('%t/r.npy').shape == (5, 3)"

func.func @main(%a: tensor<?x3xf32>, %b: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %0 = tfm.residual skip(%a) branches(%b) : (tensor<?x3xf32>, tensor<?x3xf32>) -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// Modules that do not parse, or do not lower: the diagnostic, then exit 2.
// RUN: not tfm-run %S/Inputs/bad-syntax.mlir --random-inputs 2>&1 | FileCheck %s --check-prefix=SYNTAX
// SYNTAX: bad-syntax.mlir:2:{{[0-9]+}}: error: custom op 'tfm.activation' expected ::mlir::tfm::ActivationKind to be one of: gelu, gelu_tanh, relu, silu, sigmoid
// SYNTAX: tfm-run: error: could not parse {{.*}}bad-syntax.mlir
// RUN: %python %S/Inputs/exit_code.py 2 tfm-run %S/Inputs/bad-syntax.mlir --random-inputs
