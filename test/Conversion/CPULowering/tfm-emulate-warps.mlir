// RUN: tfm-opt %s --tfm-emulate-warps --split-input-file --verify-diagnostics | FileCheck %s

// A warp reads its lane's element (a gather over the flattened input), sums
// it over each quad with shuffles, and each lane writes its sum into its own
// element of the output: the lane dimension is gone, lane-dependent values
// are vector<32 x T>, the writes are one per lane.
// CHECK-LABEL: func.func @quad_sum
// CHECK-SAME: (%[[X:.*]]: tensor<4x32xf32>)
// CHECK: scf.forall (%[[W:.*]]) in (4) shared_outs(%[[OUT:.*]] = %{{.*}}) -> (tensor<4x32xf32>)
// CHECK-NOT: scf.forall
// CHECK: %[[LANES:.*]] = arith.constant dense<[0, 1, 2, {{.*}}, 31]> : vector<32xindex>
// CHECK: %[[WV:.*]] = vector.broadcast %[[W]] : index to vector<32xindex>
// CHECK: %[[C32:.*]] = vector.broadcast %c32 : index to vector<32xindex>
// CHECK: %[[ROW:.*]] = arith.muli %[[WV]], %[[C32]] : vector<32xindex>
// CHECK: %[[LIN:.*]] = arith.addi %[[ROW]], %[[LANES]] : vector<32xindex>
// CHECK: %[[FLAT:.*]] = tensor.collapse_shape %[[X]] {{\[}}[0, 1]] : tensor<4x32xf32> into tensor<128xf32>
// CHECK: %[[V:.*]] = vector.gather %[[FLAT]][%c0] [%[[LIN]]], %{{.*}}, %{{.*}} : tensor<128xf32>, vector<32xindex>, vector<32xi1>, vector<32xf32> into vector<32xf32>
// CHECK: %[[X1:.*]] = vector.shuffle %[[V]], %[[V]] [1, 0, 3, 2, 5, 4, {{.*}}, 31, 30] : vector<32xf32>, vector<32xf32>
// CHECK: %[[S1:.*]] = arith.addf %[[V]], %[[X1]] : vector<32xf32>
// CHECK: %[[X2:.*]] = vector.shuffle %[[S1]], %[[S1]] [2, 3, 0, 1, 6, 7, 4, 5, {{.*}}, 29] : vector<32xf32>, vector<32xf32>
// CHECK: %[[S2:.*]] = arith.addf %[[S1]], %[[X2]] : vector<32xf32>
// Each lane's slice of the output, then its write, then one insert per lane.
// CHECK: %[[I0:.*]] = vector.extract %[[LANES]][0] : index from vector<32xindex>
// CHECK: %[[SL0:.*]] = tensor.extract_slice %[[OUT]][%[[W]], %[[I0]]] [1, 1] [1, 1]
// CHECK: %[[I31:.*]] = vector.extract %[[LANES]][31] : index from vector<32xindex>
// CHECK: %[[SL31:.*]] = tensor.extract_slice %[[OUT]][%[[W]], %[[I31]]] [1, 1] [1, 1]
// CHECK: %[[E0:.*]] = vector.shuffle %{{.*}}, %{{.*}} [0] : vector<32xf32>, vector<32xf32>
// CHECK: %[[W0:.*]] = vector.transfer_write %[[E0]], %[[SL0]]
// CHECK: %[[E31:.*]] = vector.shuffle %{{.*}}, %{{.*}} [31] : vector<32xf32>, vector<32xf32>
// CHECK: %[[W31:.*]] = vector.transfer_write %[[E31]], %[[SL31]]
// CHECK: %[[J0:.*]] = vector.extract %[[LANES]][0] : index from vector<32xindex>
// CHECK: %[[J31:.*]] = vector.extract %[[LANES]][31] : index from vector<32xindex>
// CHECK: scf.forall.in_parallel
// CHECK-NEXT: tensor.parallel_insert_slice %[[W0]] into %[[OUT]][%[[W]], %[[J0]]] [1, 1] [1, 1]
// CHECK-COUNT-30: tensor.parallel_insert_slice %{{.*}} into %[[OUT]][%[[W]], %{{.*}}] [1, 1] [1, 1]
// CHECK-NEXT: tensor.parallel_insert_slice %[[W31]] into %[[OUT]][%[[W]], %[[J31]]] [1, 1] [1, 1]
// CHECK-NEXT: }
func.func @quad_sum(%x: tensor<4x32xf32>) -> tensor<4x32xf32> {
  %init = tensor.empty() : tensor<4x32xf32>
  %r = scf.forall (%w, %l) in (4, 32) shared_outs(%out = %init) -> (tensor<4x32xf32>) {
    %v = tensor.extract %x[%w, %l] : tensor<4x32xf32>
    %c1 = arith.constant 1 : i32
    %c2 = arith.constant 2 : i32
    %c32 = arith.constant 32 : i32
    %o1, %ok1 = gpu.shuffle xor %v, %c1, %c32 : f32
    %s1 = arith.addf %v, %o1 : f32
    %o2, %ok2 = gpu.shuffle xor %s1, %c2, %c32 : f32
    %s2 = arith.addf %s1, %o2 : f32
    %slice = tensor.extract_slice %out[%w, %l] [1, 1] [1, 1] : tensor<4x32xf32> to tensor<1x1xf32>
    %vec = vector.from_elements %s2 : vector<1xf32>
    %c0 = arith.constant 0 : index
    %wr = vector.transfer_write %vec, %slice[%c0, %c0] {in_bounds = [true]} : vector<1xf32>, tensor<1x1xf32>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %wr into %out[%w, %l] [1, 1] [1, 1] : tensor<1x1xf32> into tensor<4x32xf32>
    }
  }
  return %r : tensor<4x32xf32>
}

// -----

// mma.sync m16n8k16 on a lane's fragments: the lanes' registers become one
// vector, and D = C + Σ_k A[:, k]·B[k, :] is sixteen fmas of shuffled
// operands laid out as C's fragments. For k = 0: lanes 0 and 1 hold C[0][0..3]
// and C[8][0..3], which need A[0][0] (lane 0, element 0) and A[8][0]
// (lane 0, element 2), and B[0][0..3] (element 0 of lanes 0, 4, 8, 12).
// A scf.for carries the accumulator across its iterations as vector<128xf32>.
// CHECK-LABEL: func.func @mma
// CHECK: scf.forall (%{{.*}}) in (2) shared_outs
// CHECK: %[[A:.*]] = vector.gather {{.*}} into vector<256xf16>
// CHECK: %[[B:.*]] = vector.gather {{.*}} into vector<128xf16>
// CHECK: scf.for {{.*}} iter_args(%[[ACC:.*]] = %{{.*}}) -> (vector<128xf32>)
// CHECK: %[[AF:.*]] = arith.extf %[[A]] : vector<256xf16> to vector<256xf32>
// CHECK: %[[BF:.*]] = arith.extf %[[B]] : vector<128xf16> to vector<128xf32>
// CHECK: %[[A0:.*]] = vector.shuffle %[[AF]], %[[AF]] [0, 0, 2, 2, 0, 0, 2, 2, {{.*}}] : vector<256xf32>, vector<256xf32>
// CHECK: %[[B0:.*]] = vector.shuffle %[[BF]], %[[BF]] [0, 16, 0, 16, 32, 48, 32, 48, {{.*}}] : vector<128xf32>, vector<128xf32>
// CHECK: %[[D0:.*]] = math.fma %[[A0]], %[[B0]], %[[ACC]] : vector<128xf32>
// CHECK-COUNT-15: math.fma
// CHECK-NOT: math.fma
// CHECK: scf.yield %{{.*}} : vector<128xf32>
func.func @mma(%a: tensor<2x32x8xf16>, %b: tensor<2x32x4xf16>) -> tensor<2x32x4xf32> {
  %init = tensor.empty() : tensor<2x32x4xf32>
  %r = scf.forall (%w, %l) in (2, 32) shared_outs(%out = %init) -> (tensor<2x32x4xf32>) {
    %c0 = arith.constant 0 : index
    %c3 = arith.constant 3 : index
    %c1 = arith.constant 1 : index
    %pad = arith.constant 0.0 : f16
    %av = vector.transfer_read %a[%w, %l, %c0], %pad {in_bounds = [true]} : tensor<2x32x8xf16>, vector<8xf16>
    %bv = vector.transfer_read %b[%w, %l, %c0], %pad {in_bounds = [true]} : tensor<2x32x4xf16>, vector<4xf16>
    %am = vector.shape_cast %av : vector<8xf16> to vector<4x2xf16>
    %bm = vector.shape_cast %bv : vector<4xf16> to vector<2x2xf16>
    %zero = arith.constant dense<0.0> : vector<2x2xf32>
    %d = scf.for %i = %c0 to %c3 step %c1 iter_args(%acc = %zero) -> (vector<2x2xf32>) {
      %n = nvgpu.mma.sync (%am, %bm, %acc) {mmaShape = [16, 8, 16]} : (vector<4x2xf16>, vector<2x2xf16>, vector<2x2xf32>) -> vector<2x2xf32>
      scf.yield %n : vector<2x2xf32>
    }
    %flat = vector.shape_cast %d : vector<2x2xf32> to vector<4xf32>
    %slice = tensor.extract_slice %out[%w, %l, 0] [1, 1, 4] [1, 1, 1] : tensor<2x32x4xf32> to tensor<1x1x4xf32>
    %wr = vector.transfer_write %flat, %slice[%c0, %c0, %c0] {in_bounds = [true]} : vector<4xf32>, tensor<1x1x4xf32>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %wr into %out[%w, %l, 0] [1, 1, 4] [1, 1, 1] : tensor<1x1x4xf32> into tensor<2x32x4xf32>
    }
  }
  return %r : tensor<2x32x4xf32>
}

// -----

// Lanes must run the same iterations.
func.func @lane_dependent_loop(%x: tensor<32xf32>) -> tensor<32xf32> {
  %init = tensor.empty() : tensor<32xf32>
  %r = scf.forall (%w, %l) in (1, 32) shared_outs(%out = %init) -> (tensor<32xf32>) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c32 = arith.constant 32 : i32
    %zero = arith.constant 0.0 : f32
    // expected-error @+1 {{tfm-emulate-warps: the loop's bounds differ between lanes}}
    %s = scf.for %i = %c0 to %l step %c1 iter_args(%acc = %zero) -> (f32) {
      %o, %ok = gpu.shuffle xor %acc, %c32, %c32 : f32
      scf.yield %o : f32
    }
    scf.forall.in_parallel {
    }
  }
  return %r : tensor<32xf32>
}

// -----

func.func @not_a_warp(%x: tensor<16xf32>) -> tensor<16xf32> {
  %init = tensor.empty() : tensor<16xf32>
  // expected-error @+1 {{tfm-emulate-warps: a forall with warp-wide ops must have an innermost dimension of 32 lanes}}
  %r = scf.forall (%w, %l) in (1, 16) shared_outs(%out = %init) -> (tensor<16xf32>) {
    %v = tensor.extract %x[%l] : tensor<16xf32>
    %c1 = arith.constant 1 : i32
    %c16 = arith.constant 16 : i32
    %o, %ok = gpu.shuffle xor %v, %c1, %c16 : f32
    scf.forall.in_parallel {
    }
  }
  return %r : tensor<16xf32>
}

// -----

func.func @shuffle_down(%x: tensor<32xf32>) -> tensor<32xf32> {
  %init = tensor.empty() : tensor<32xf32>
  %r = scf.forall (%w, %l) in (1, 32) shared_outs(%out = %init) -> (tensor<32xf32>) {
    %v = tensor.extract %x[%l] : tensor<32xf32>
    %c1 = arith.constant 1 : i32
    %c32 = arith.constant 32 : i32
    // expected-error @+1 {{tfm-emulate-warps: only a full-warp gpu.shuffle xor by a constant}}
    %o, %ok = gpu.shuffle down %v, %c1, %c32 : f32
    scf.forall.in_parallel {
    }
  }
  return %r : tensor<32xf32>
}

// -----

func.func @lane_dependent_branch(%x: tensor<32xf32>) -> tensor<32xf32> {
  %init = tensor.empty() : tensor<32xf32>
  %r = scf.forall (%w, %l) in (1, 32) shared_outs(%out = %init) -> (tensor<32xf32>) {
    %v = tensor.extract %x[%l] : tensor<32xf32>
    %c1 = arith.constant 1 : i32
    %c32 = arith.constant 32 : i32
    %o, %ok = gpu.shuffle xor %v, %c1, %c32 : f32
    %zero = arith.constant 0.0 : f32
    %pos = arith.cmpf ogt, %o, %zero : f32
    // expected-error @+1 {{tfm-emulate-warps: 'scf.if' has regions and uses values that differ between lanes}}
    %s = scf.if %pos -> (f32) {
      scf.yield %o : f32
    } else {
      scf.yield %zero : f32
    }
    scf.forall.in_parallel {
    }
  }
  return %r : tensor<32xf32>
}

// -----

// Foralls without warp-wide ops are left alone.
// CHECK-LABEL: func.func @plain
// CHECK: scf.forall (%{{.*}}, %{{.*}}) in (4, 32)
func.func @plain(%x: tensor<4x32xf32>) -> tensor<4x32xf32> {
  %r = scf.forall (%w, %l) in (4, 32) shared_outs(%out = %x) -> (tensor<4x32xf32>) {
    %v = tensor.extract %x[%w, %l] : tensor<4x32xf32>
    %t = tensor.from_elements %v : tensor<1x1xf32>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %t into %out[%w, %l] [1, 1] [1, 1] : tensor<1x1xf32> into tensor<4x32xf32>
    }
  }
  return %r : tensor<4x32xf32>
}
