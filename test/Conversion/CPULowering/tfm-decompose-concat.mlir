// RUN: tfm-opt %s --tfm-decompose-concat | FileCheck %s

// Each input goes into its slice of an empty tensor of the result's shape,
// in order along the concatenated dimension (dynamic sizes included).
// CHECK-LABEL: func.func @concat
// CHECK-SAME: (%[[A:[^:]*]]: tensor<?x3xf32>, %[[B:[^:]*]]: tensor<?x5xf32>)
// CHECK-NOT: tensor.concat
// CHECK: %[[E:.*]] = tensor.empty(%{{.*}}) : tensor<?x8xf32>
// CHECK: %[[S0:.*]] = tensor.insert_slice %[[A]] into %[[E]][0, 0] [%{{.*}}, 3] [1, 1]
// CHECK: %[[S1:.*]] = tensor.insert_slice %[[B]] into %[[S0]][0, 3] [%{{.*}}, 5] [1, 1]
// CHECK: return %[[S1]]
func.func @concat(%a: tensor<?x3xf32>, %b: tensor<?x5xf32>) -> tensor<?x8xf32> {
  %0 = tensor.concat dim(1) %a, %b : (tensor<?x3xf32>, tensor<?x5xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}
