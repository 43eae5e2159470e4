// The expansions of tfm-gpu-native-math are plain arithmetic, so the CPU
// executor measures their accuracy: each function below runs after the pass
// on arguments from the ranges models meet, against NumPy in float64.
// RUN: %python %S/Inputs/native_math_reference.py %t
// RUN: tfm-opt %s --tfm-gpu-native-math -o %t/native.mlir
// RUN: FileCheck %s --check-prefix=LOWERED < %t/native.mlir
// RUN: tfm-run %t/native.mlir --entry=sine --input=%t/angles.npy --expected=%t/sin.npy --atol=1.2e-7 --rtol=0 | FileCheck %s
// RUN: tfm-run %t/native.mlir --entry=cosine --input=%t/angles.npy --expected=%t/cos.npy --atol=1.2e-7 --rtol=0 | FileCheck %s
// RUN: tfm-run %t/native.mlir --entry=rsqrt --input=%t/variance.npy --expected=%t/rsqrt.npy --atol=0 --rtol=2.4e-7 | FileCheck %s
// RUN: tfm-run %t/native.mlir --entry=log --input=%t/positive.npy --expected=%t/log.npy --atol=0 --rtol=2.4e-7 | FileCheck %s
// RUN: tfm-run %t/native.mlir --entry=tanh --input=%t/x.npy --expected=%t/tanh.npy --atol=3e-7 --rtol=0 | FileCheck %s
// RUN: tfm-run %t/native.mlir --entry=tan --input=%t/unit.npy --expected=%t/tan.npy --atol=0 --rtol=3e-7 | FileCheck %s
// RUN: tfm-run %t/native.mlir --entry=sinh --input=%t/x.npy --expected=%t/sinh.npy --atol=1e-6 --rtol=2e-5 | FileCheck %s
// RUN: tfm-run %t/native.mlir --entry=atan --input=%t/x.npy --expected=%t/atan.npy --atol=3e-6 --rtol=0 | FileCheck %s
// RUN: tfm-run %t/native.mlir --entry=asin --input=%t/unit.npy --expected=%t/asin.npy --atol=3e-7 --rtol=0 | FileCheck %s
// RUN: tfm-run %t/native.mlir --entry=power --input=%t/base.npy --input=%t/exponent.npy --expected=%t/pow.npy --atol=0 --rtol=2.5e-6 | FileCheck %s
// RUN: tfm-run %t/native.mlir --entry=fmod --input=%t/numerator.npy --input=%t/denominator.npy --expected=%t/fmod.npy --atol=0 --rtol=0 | FileCheck %s

// Tolerances hold the measured errors with little room: sin, cos and fmod
// are within one ulp (fmod exact), pow within 20 ulp (exp(y log|x|) in
// f32), upstream's atan and sinh within a few ulp of their output range.
// CHECK: output 0: {{.*}}: ok
// Only one-instruction math is left (remf, floor, fma, ...).
// LOWERED-NOT: math.{{sin|cos|powf|exp|log|tan|erf|atan|asin|acos|cbrt|rsqrt}}

#id = affine_map<(d0) -> (d0)>

func.func @sine(%x: tensor<?xf32>) -> tensor<?xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?xf32>
  %init = tensor.empty(%n) : tensor<?xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%x : tensor<?xf32>) outs(%init : tensor<?xf32>) {
  ^bb0(%a: f32, %o: f32):
    %v = math.sin %a : f32
    linalg.yield %v : f32
  } -> tensor<?xf32>
  return %r : tensor<?xf32>
}

func.func @cosine(%x: tensor<?xf32>) -> tensor<?xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?xf32>
  %init = tensor.empty(%n) : tensor<?xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%x : tensor<?xf32>) outs(%init : tensor<?xf32>) {
  ^bb0(%a: f32, %o: f32):
    %v = math.cos %a : f32
    linalg.yield %v : f32
  } -> tensor<?xf32>
  return %r : tensor<?xf32>
}

func.func @rsqrt(%x: tensor<?xf32>) -> tensor<?xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?xf32>
  %init = tensor.empty(%n) : tensor<?xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%x : tensor<?xf32>) outs(%init : tensor<?xf32>) {
  ^bb0(%a: f32, %o: f32):
    %v = math.rsqrt %a : f32
    linalg.yield %v : f32
  } -> tensor<?xf32>
  return %r : tensor<?xf32>
}

func.func @log(%x: tensor<?xf32>) -> tensor<?xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?xf32>
  %init = tensor.empty(%n) : tensor<?xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%x : tensor<?xf32>) outs(%init : tensor<?xf32>) {
  ^bb0(%a: f32, %o: f32):
    %v = math.log %a : f32
    linalg.yield %v : f32
  } -> tensor<?xf32>
  return %r : tensor<?xf32>
}

func.func @tanh(%x: tensor<?xf32>) -> tensor<?xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?xf32>
  %init = tensor.empty(%n) : tensor<?xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%x : tensor<?xf32>) outs(%init : tensor<?xf32>) {
  ^bb0(%a: f32, %o: f32):
    %v = math.tanh %a : f32
    linalg.yield %v : f32
  } -> tensor<?xf32>
  return %r : tensor<?xf32>
}

func.func @tan(%x: tensor<?xf32>) -> tensor<?xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?xf32>
  %init = tensor.empty(%n) : tensor<?xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%x : tensor<?xf32>) outs(%init : tensor<?xf32>) {
  ^bb0(%a: f32, %o: f32):
    %v = math.tan %a : f32
    linalg.yield %v : f32
  } -> tensor<?xf32>
  return %r : tensor<?xf32>
}

func.func @sinh(%x: tensor<?xf32>) -> tensor<?xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?xf32>
  %init = tensor.empty(%n) : tensor<?xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%x : tensor<?xf32>) outs(%init : tensor<?xf32>) {
  ^bb0(%a: f32, %o: f32):
    %v = math.sinh %a : f32
    linalg.yield %v : f32
  } -> tensor<?xf32>
  return %r : tensor<?xf32>
}

func.func @atan(%x: tensor<?xf32>) -> tensor<?xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?xf32>
  %init = tensor.empty(%n) : tensor<?xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%x : tensor<?xf32>) outs(%init : tensor<?xf32>) {
  ^bb0(%a: f32, %o: f32):
    %v = math.atan %a : f32
    linalg.yield %v : f32
  } -> tensor<?xf32>
  return %r : tensor<?xf32>
}

func.func @asin(%x: tensor<?xf32>) -> tensor<?xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?xf32>
  %init = tensor.empty(%n) : tensor<?xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%x : tensor<?xf32>) outs(%init : tensor<?xf32>) {
  ^bb0(%a: f32, %o: f32):
    %v = math.asin %a : f32
    linalg.yield %v : f32
  } -> tensor<?xf32>
  return %r : tensor<?xf32>
}

func.func @power(%x: tensor<?xf32>, %y: tensor<?xf32>) -> tensor<?xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?xf32>
  %init = tensor.empty(%n) : tensor<?xf32>
  %r = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel"]}
      ins(%x, %y : tensor<?xf32>, tensor<?xf32>) outs(%init : tensor<?xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %v = math.powf %a, %b : f32
    linalg.yield %v : f32
  } -> tensor<?xf32>
  return %r : tensor<?xf32>
}

func.func @fmod(%x: tensor<?xf32>, %y: tensor<?xf32>) -> tensor<?xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?xf32>
  %init = tensor.empty(%n) : tensor<?xf32>
  %r = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel"]}
      ins(%x, %y : tensor<?xf32>, tensor<?xf32>) outs(%init : tensor<?xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %v = arith.remf %a, %b : f32
    linalg.yield %v : f32
  } -> tensor<?xf32>
  return %r : tensor<?xf32>
}
