// A concatenation's inputs are written where the result holds them: the
// kernel computing the first input writes its slice of the concatenated
// buffer (no copy of it), and only the function argument, which nothing in
// the function produces, is copied in.
// RUN: tfm-opt %s --pass-pipeline='builtin.module(tfm-to-cpu)' --mlir-print-ir-before=tfm-plan-buffers -o /dev/null 2>&1 | FileCheck %s
// Numerics: the CPU executor against numpy.
// RUN: %python -c "import numpy as np; r = np.random.default_rng(3); a = r.standard_normal((5, 3), np.float32); b = r.standard_normal((5, 5), np.float32); np.save('%t.a.npy', a); np.save('%t.b.npy', b); np.save('%t.ref.npy', np.concatenate([np.tanh(a), b], axis=1))"
// RUN: tfm-run %s --input=%t.a.npy --input=%t.b.npy --expected=%t.ref.npy --rtol=1e-6 --atol=1e-6 | FileCheck %s --check-prefix=NUM
// NUM: output 0: {{.*}}: ok

// CHECK-LABEL: func.func @main
// CHECK: %[[CAT:.*]] = memref.alloc(%{{.*}}) {{.*}}: memref<?x8xf32>
// CHECK: %[[FIRST:.*]] = memref.subview %[[CAT]][0, 0] [%{{.*}}, 3] [1, 1]
// CHECK: linalg.generic {{.*}} outs(%[[FIRST]] :
// CHECK: math.tanh
// CHECK: %[[SECOND:.*]] = memref.subview %[[CAT]][0, 3] [%{{.*}}, 5] [1, 1]
// CHECK: memref.copy %{{.*}}, %[[SECOND]]
// CHECK-NOT: memref.copy
// CHECK: return %[[CAT]]
func.func @main(%a: tensor<?x3xf32> {tfm.dim_names = ["N", "A"]}, %b: tensor<?x5xf32> {tfm.dim_names = ["N", "B"]}) -> tensor<?x8xf32> attributes {llvm.emit_c_interface} {
  %t = math.tanh %a : tensor<?x3xf32>
  %0 = tensor.concat dim(1) %t, %b : (tensor<?x3xf32>, tensor<?x5xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}
