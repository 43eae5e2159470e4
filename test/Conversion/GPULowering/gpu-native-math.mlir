// RUN: tfm-opt %s --tfm-gpu-native-math --split-input-file | FileCheck %s

// Ops that are one PTX instruction stay, for tfm-gpu-resolve-libdevice to
// map to intrinsics after convert-gpu-to-nvvm; so do f64 ones and integers.
// CHECK-LABEL: func.func @instructions
// CHECK-NEXT: math.absf
// CHECK-NEXT: math.floor
// CHECK-NEXT: math.ceil
// CHECK-NEXT: math.trunc
// CHECK-NEXT: math.round
// CHECK-NEXT: math.roundeven
// CHECK-NEXT: math.sqrt
// CHECK-NEXT: math.fma
// CHECK-NEXT: math.copysign
// CHECK-NEXT: arith.remf
// CHECK-NEXT: math.floor {{.*}} : f64
// CHECK-NEXT: math.sqrt {{.*}} : f64
// CHECK-NEXT: math.absi
// CHECK-NEXT: return
func.func @instructions(%x: f32, %y: f32, %z: f32, %d: f64, %i: i32)
    -> (f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f64, f64, i32) {
  %0 = math.absf %x : f32
  %1 = math.floor %x : f32
  %2 = math.ceil %x : f32
  %3 = math.trunc %x : f32
  %4 = math.round %x : f32
  %5 = math.roundeven %x : f32
  %6 = math.sqrt %x : f32
  %7 = math.fma %x, %y, %z : f32
  %8 = math.copysign %x, %y : f32
  %9 = arith.remf %x, %y : f32
  %10 = math.floor %d : f64
  %11 = math.sqrt %d : f64
  %12 = math.absi %i : i32
  return %0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12
      : f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f64, f64, i32
}

// -----

// rsqrt is a correctly rounded square root and division, not rsqrt.approx;
// vectors keep their shape.
// CHECK-LABEL: func.func @rsqrt
// CHECK-SAME: (%[[X:.*]]: vector<4xf32>)
// CHECK: %[[ONE:.*]] = arith.constant dense<1.000000e+00> : vector<4xf32>
// CHECK: %[[ROOT:.*]] = math.sqrt %[[X]] : vector<4xf32>
// CHECK: %[[R:.*]] = arith.divf %[[ONE]], %[[ROOT]] : vector<4xf32>
// CHECK: return %[[R]]
func.func @rsqrt(%x: vector<4xf32>) -> vector<4xf32> {
  %0 = math.rsqrt %x : vector<4xf32>
  return %0 : vector<4xf32>
}

// -----

// sin: the quadrant j = roundeven(x * 2/pi), the remainder by fma with pi/2
// in three parts, two polynomials, and a choice by j mod 4.
// CHECK-LABEL: func.func @sine
// CHECK-SAME: (%[[X:.*]]: f32)
// CHECK-DAG: %[[TWO_OVER_PI:.*]] = arith.constant 0.636619746 : f32
// CHECK-DAG: %[[PIO2_HI:.*]] = arith.constant -1.57079637 : f32
// CHECK-DAG: %[[PIO2_MID:.*]] = arith.constant 4.37113883E-8 : f32
// CHECK-DAG: %[[PIO2_LO:.*]] = arith.constant 1.71512451E-15 : f32
// CHECK: %[[K:.*]] = arith.mulf %[[X]], %[[TWO_OVER_PI]] : f32
// CHECK: %[[J:.*]] = math.roundeven %[[K]]
// CHECK: %[[R0:.*]] = math.fma %[[J]], %[[PIO2_HI]], %[[X]]
// CHECK: %[[R1:.*]] = math.fma %[[J]], %[[PIO2_MID]], %[[R0]]
// CHECK: %[[R:.*]] = math.fma %[[J]], %[[PIO2_LO]], %[[R1]]
// CHECK: %[[EVEN:.*]] = arith.cmpf oeq
// CHECK: %[[NEG:.*]] = arith.cmpf ogt
// CHECK: %[[V:.*]] = arith.select %[[EVEN]], %[[SIN:.*]], %[[COS:.*]] : f32
// CHECK: %[[MINUS:.*]] = arith.negf %[[V]]
// CHECK: %[[RES:.*]] = arith.select %[[NEG]], %[[MINUS]], %[[V]]
// CHECK: return %[[RES]]
// CHECK-NOT: math.{{sin|cos|powf|exp|log|tan|erf|atan|asin|acos|cbrt|rsqrt}}
func.func @sine(%x: f32) -> f32 {
  %0 = math.sin %x : f32
  return %0 : f32
}

// cos picks the other polynomial in even quadrants, and negates in quadrants
// 1 and 2.
// CHECK-LABEL: func.func @cosine
// CHECK: %[[NEG_LOW:.*]] = arith.cmpf ogt
// CHECK: %[[NEG_HIGH:.*]] = arith.cmpf olt
// CHECK: %[[NEG:.*]] = arith.andi %[[NEG_LOW]], %[[NEG_HIGH]]
// CHECK: %[[V:.*]] = arith.select %{{.*}}, %[[COS:.*]], %[[SIN:.*]] : vector<8xi1>, vector<8xf32>
// CHECK: %[[MINUS:.*]] = arith.negf %[[V]]
// CHECK: arith.select %[[NEG]], %[[MINUS]], %[[V]]
// CHECK-NOT: math.{{sin|cos|powf|exp|log|tan|erf|atan|asin|acos|cbrt|rsqrt}}
func.func @cosine(%x: vector<8xf32>) -> vector<8xf32> {
  %0 = math.cos %x : vector<8xf32>
  return %0 : vector<8xf32>
}

// -----

// A variable exponent: exp(y * log|x|) as polynomials, then IEEE's cases.
// CHECK-LABEL: func.func @power
// CHECK-SAME: (%[[X:.*]]: f32, %[[Y:.*]]: f32)
// CHECK-DAG: %[[NAN:.*]] = arith.constant 0x7FC00000 : f32
// CHECK-DAG: %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK: %[[ABS:.*]] = math.absf %[[X]]
// The sign of a negative base to an odd integer.
// CHECK: %[[FLOOR_Y:.*]] = math.floor %[[Y]]
// CHECK: %[[INTEGER:.*]] = arith.cmpf oeq, %[[FLOOR_Y]], %[[Y]]
// CHECK: %[[ODD:.*]] = arith.andi %[[INTEGER]], %{{.*}} : i1
// CHECK: %[[SIGN:.*]] = math.copysign %{{.*}}, %[[X]]
// CHECK: %[[NEGATIVE:.*]] = arith.cmpf olt, %[[SIGN]]
// CHECK: %[[MINUS:.*]] = arith.negf %[[POW:.*]] : f32
// CHECK: %[[KEEP:.*]] = arith.andi %[[NEGATIVE]], %[[ODD]]
// CHECK: %[[SIGNED:.*]] = arith.select %[[KEEP]], %[[MINUS]], %[[POW]]
// A negative base to a fraction.
// CHECK: %[[BELOW:.*]] = arith.cmpf olt, %[[X]]
// CHECK: %[[FRACTION:.*]] = arith.cmpf une, %[[FLOOR_Y]], %[[Y]]
// CHECK: %[[UNDEFINED:.*]] = arith.andi %[[BELOW]], %[[FRACTION]]
// CHECK: %[[R:.*]] = arith.select %[[UNDEFINED]], %[[NAN]], %[[SIGNED]]
// x^0, 1^y, (-1)^inf.
// CHECK: arith.cmpf oeq, %[[Y]]
// CHECK: arith.cmpf oeq, %[[X]]
// CHECK: arith.cmpf oeq, %[[ABS]]
// CHECK: %[[RES:.*]] = arith.select %{{.*}}, %[[ONE]], %[[R]]
// CHECK: return %[[RES]]
// CHECK-NOT: math.{{sin|cos|powf|exp|log|tan|erf|atan|asin|acos|cbrt|rsqrt}}
func.func @power(%x: f32, %y: f32) -> f32 {
  %0 = math.powf %x, %y : f32
  return %0 : f32
}

// Constant exponents are products and roots first.
// CHECK-LABEL: func.func @square_and_root
// CHECK-SAME: (%[[X:.*]]: f32)
// CHECK-DAG: %[[SQ:.*]] = arith.mulf %[[X]], %[[X]] : f32
// CHECK-DAG: %[[ROOT:.*]] = math.sqrt %[[X]]
// CHECK: return %[[SQ]], %[[ROOT]]
func.func @square_and_root(%x: f32) -> (f32, f32) {
  %two = arith.constant 2.0 : f32
  %half = arith.constant 0.5 : f32
  %0 = math.powf %x, %two : f32
  %1 = math.powf %x, %half : f32
  return %0, %1 : f32, f32
}

// -----

// Transcendentals become arithmetic: no math op and no call is left.
// CHECK-LABEL: func.func @transcendental
// CHECK-NOT: math.{{sin|cos|powf|exp|log|tan|erf|atan|asin|acos|cbrt|rsqrt}}
// CHECK-NOT: call
// CHECK: return
func.func @transcendental(%x: f32, %y: f32) -> (f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32) {
  %0 = math.exp %x : f32
  %1 = math.log %x : f32
  %2 = math.log2 %x : f32
  %3 = math.log1p %x : f32
  %4 = math.expm1 %x : f32
  %5 = math.tanh %x : f32
  %6 = math.erf %x : f32
  %7 = math.atan %x : f32
  %8 = math.atan2 %x, %y : f32
  %9 = math.asin %x : f32
  %10 = math.acos %x : f32
  %11 = math.cbrt %x : f32
  %12 = math.tan %x : f32
  %13 = math.sinh %x : f32
  %14 = math.cosh %x : f32
  %15 = math.asinh %x : f32
  %16 = math.acosh %x : f32
  %17 = math.atanh %x : f32
  %18 = math.erfc %x : f32
  return %0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18
      : f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32
}

// -----

// f16 and bf16 are computed in f32.
// CHECK-LABEL: func.func @narrow
// CHECK-SAME: (%[[H:.*]]: vector<2xf16>, %[[B:.*]]: bf16)
// CHECK-DAG: %[[HW:.*]] = arith.extf %[[H]] : vector<2xf16> to vector<2xf32>
// CHECK-DAG: %[[HS:.*]] = math.sqrt %[[HW]] : vector<2xf32>
// CHECK-DAG: %[[HR:.*]] = arith.truncf %[[HS]] : vector<2xf32> to vector<2xf16>
// CHECK-DAG: %[[BW:.*]] = arith.extf %[[B]] : bf16 to f32
// CHECK-DAG: %[[BR:.*]] = arith.truncf %{{.*}} : f32 to bf16
// CHECK: return %[[HR]], %[[BR]]
// CHECK-NOT: math.{{sin|cos|powf|exp|log|tan|erf|atan|asin|acos|cbrt|rsqrt}}
func.func @narrow(%h: vector<2xf16>, %b: bf16) -> (vector<2xf16>, bf16) {
  %0 = math.sqrt %h : vector<2xf16>
  %1 = math.exp %b : bf16
  return %0, %1 : vector<2xf16>, bf16
}

// -----

// f64 transcendentals are left to libdevice (tfm-gpu-resolve-libdevice reports
// them when there is none); tensors are not kernel code and stay as they are.
// CHECK-LABEL: func.func @left_alone
// CHECK: math.sin %{{.*}} : f64
// CHECK: math.exp %{{.*}} : tensor<4xf32>
// CHECK: math.floor %{{.*}} : tensor<4xf32>
func.func @left_alone(%d: f64, %t: tensor<4xf32>) -> (f64, tensor<4xf32>, tensor<4xf32>) {
  %0 = math.sin %d : f64
  %1 = math.exp %t : tensor<4xf32>
  %2 = math.floor %t : tensor<4xf32>
  return %0, %1, %2 : f64, tensor<4xf32>, tensor<4xf32>
}
