// RUN: tfm-opt %s -tfm-polynomial-math | FileCheck %s

// exp, tanh and erf become arithmetic; other math ops stay.
// CHECK-LABEL: func.func @math
// CHECK-NOT: math.exp
// CHECK-NOT: math.tanh
// CHECK-NOT: math.erf
// CHECK: math.fma
// CHECK: math.rsqrt
func.func @math(%x: f32) -> (f32, f32, f32, f32) {
  %0 = math.exp %x : f32
  %1 = math.tanh %x : f32
  %2 = math.erf %x : f32
  %3 = math.rsqrt %x : f32
  return %0, %1, %2, %3 : f32, f32, f32, f32
}
