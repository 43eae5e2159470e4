// tfm-run lowers whatever tier it is given: the tfm tier, MLIR bytecode,
// linalg on tensors (the graph tier), and already-bufferized memrefs.
// RUN: %python %S/Inputs/make_npy.py %t
// RUN: tfm-run %s --input=%t/x23.npy --input=%t/x23.npy --expected=%t/x23x2.npy | FileCheck %s
// RUN: tfm-opt %s -emit-bytecode -o %t/model.mlirbc
// RUN: tfm-run %t/model.mlirbc --input=%t/x23.npy --input=%t/x23.npy --expected=%t/x23x2.npy | FileCheck %s
// RUN: tfm-opt %s -convert-tfm-to-linalg -o %t/linalg.mlir
// RUN: FileCheck %s --check-prefix=LINALG < %t/linalg.mlir
// RUN: tfm-run %t/linalg.mlir --input=%t/x23.npy --input=%t/x23.npy --expected=%t/x23x2.npy | FileCheck %s
// CHECK: output 0: {{.*}}: ok
// LINALG-NOT: tfm.
// LINALG: linalg.generic

func.func @main(%a: tensor<?x3xf32>, %b: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %0 = tfm.residual skip(%a) branches(%b) : (tensor<?x3xf32>, tensor<?x3xf32>) -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// Elementwise arith and math on tensors (as importers emit them) run too.
// RUN: tfm-run %s --entry=graph --input=%t/x23.npy --expected=%t/x23.npy | FileCheck %s
func.func @graph(%a: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %sq = arith.mulf %a, %a : tensor<?x3xf32>
  %r = math.sqrt %sq : tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}
