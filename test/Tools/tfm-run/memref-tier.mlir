// A function on buffers: tfm-run passes the arrays as memrefs.
// RUN: %python %S/Inputs/make_npy.py %t
// RUN: tfm-run %s --input=%t/x23.npy --expected=%t/x23x2.npy | FileCheck %s
// CHECK: output 0: {{.*}}: ok

func.func @main(%a: memref<2x3xf32>) -> memref<2x3xf32> {
  %out = memref.alloc() : memref<2x3xf32>
  linalg.add ins(%a, %a : memref<2x3xf32>, memref<2x3xf32>) outs(%out : memref<2x3xf32>)
  return %out : memref<2x3xf32>
}
