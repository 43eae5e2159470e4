// RUN: tfm-opt %s --tfm-linalg-to-gpu --canonicalize --cse --split-input-file --verify-diagnostics | FileCheck %s

// The tensor-core attention's forall on buffers: the lane dimension (32)
// is fastest, so each warp is one point's 32 lanes. Its m16n8k16
// nvgpu.mma.sync becomes nvvm.mma.sync: for bf16, each row of an operand
// (two elements, one register) is passed as an i32; the accumulator as
// four f32, read back from the result struct (here element [1, 1], d3).
// Two-element loads of an even column of an even-width row are 4-byte
// aligned; an odd column is not.
// CHECK-LABEL: func.func @bf16
// CHECK: gpu.launch {{.*}} function(@bf16_forall)
// CHECK: %[[X:.*]] = vector.load %arg0[%{{.*}}, %{{.*}}] {alignment = 4 : i64} : memref<?x64xbf16>, vector<2xbf16>
// CHECK: %[[Y:.*]] = vector.load %arg0[%{{.*}}, %c1] : memref<?x64xbf16>, vector<2xbf16>
// CHECK-DAG: %[[YW:.*]] = vector.bitcast %[[Y]] : vector<2xbf16> to vector<1xi32>
// CHECK-DAG: %[[YI:.*]] = vector.extract %[[YW]][0] : i32 from vector<1xi32>
// CHECK-DAG: %[[XW:.*]] = vector.bitcast %[[X]] : vector<2xbf16> to vector<1xi32>
// CHECK-DAG: %[[XI:.*]] = vector.extract %[[XW]][0] : i32 from vector<1xi32>
// CHECK: %[[D:.*]] = nvvm.mma.sync A[%[[XI]], %[[XI]], %[[XI]], %[[XI]]] B[%[[YI]], %[[YI]]] C[%[[C:.*]], %[[C]], %[[C]], %[[C]]]
// CHECK-SAME: layoutA = #nvvm.mma_layout<row>, layoutB = #nvvm.mma_layout<col>
// CHECK-SAME: multiplicandAPtxType = #nvvm.mma_type<bf16>, multiplicandBPtxType = #nvvm.mma_type<bf16>
// CHECK-SAME: shape = #nvvm.shape<m = 16, n = 8, k = 16>
// CHECK-SAME: (i32, i32, f32) -> !llvm.struct<(f32, f32, f32, f32)>
// CHECK: %[[D3:.*]] = llvm.extractvalue %[[D]][3]
// CHECK: memref.store %[[D3]], %arg1
// CHECK-NOT: nvgpu.mma.sync
func.func @bf16(%q: memref<?x64xbf16>, %out: memref<?x4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %pad = arith.constant 0.0 : bf16
  %acc = arith.constant dense<0.0> : vector<2x2xf32>
  %n = memref.dim %q, %c0 : memref<?x64xbf16>
  scf.forall (%i, %lane) in (%n, 32) {
    %col = arith.muli %lane, %c2 : index
    %x = vector.transfer_read %q[%i, %col], %pad {in_bounds = [true]} : memref<?x64xbf16>, vector<2xbf16>
    %y = vector.transfer_read %q[%i, %c1], %pad {in_bounds = [true]} : memref<?x64xbf16>, vector<2xbf16>
    %a = vector.broadcast %x : vector<2xbf16> to vector<4x2xbf16>
    %b = vector.broadcast %y : vector<2xbf16> to vector<2x2xbf16>
    %d = nvgpu.mma.sync (%a, %b, %acc) {mmaShape = [16, 8, 16]} : (vector<4x2xbf16>, vector<2x2xbf16>, vector<2x2xf32>) -> vector<2x2xf32>
    %e = vector.extract %d[1, 1] : f32 from vector<2x2xf32>
    memref.store %e, %out[%i, %c0] : memref<?x4xf32>
  }
  return
}

// -----

// An operand that is one wide load reshaped (a lane's 4-column span of a
// key row at head width 16): its registers are elements [0, 2) and [2, 4)
// of the load; no 2-D vector.shape_cast is left for the LLVM conversion.
// CHECK-LABEL: func.func @reshaped_load
// CHECK: %[[K:.*]] = vector.load %arg0[%{{.*}}, %{{.*}}] {alignment = 8 : i64} : memref<?x16xbf16>, vector<4xbf16>
// CHECK-DAG: %[[K0:.*]] = vector.extract %[[K]][0] : bf16 from vector<4xbf16>
// CHECK-DAG: %[[K1:.*]] = vector.extract %[[K]][1] : bf16 from vector<4xbf16>
// CHECK-DAG: %[[K2:.*]] = vector.extract %[[K]][2] : bf16 from vector<4xbf16>
// CHECK-DAG: %[[K3:.*]] = vector.extract %[[K]][3] : bf16 from vector<4xbf16>
// CHECK-DAG: vector.from_elements %[[K0]], %[[K1]] : vector<2xbf16>
// CHECK-DAG: vector.from_elements %[[K2]], %[[K3]] : vector<2xbf16>
// CHECK: nvvm.mma.sync
// CHECK-NOT: vector.shape_cast
func.func @reshaped_load(%k: memref<?x16xbf16>, %a: vector<4x2xbf16>, %out: memref<?x32xf32>) {
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  %pad = arith.constant 0.0 : bf16
  %acc = arith.constant dense<0.0> : vector<2x2xf32>
  %n = memref.dim %k, %c0 : memref<?x16xbf16>
  scf.forall (%i, %lane) in (%n, 32) {
    %t = arith.remui %lane, %c4 : index
    %col = arith.muli %t, %c4 : index
    %x = vector.transfer_read %k[%i, %col], %pad {in_bounds = [true]} : memref<?x16xbf16>, vector<4xbf16>
    %b = vector.shape_cast %x : vector<4xbf16> to vector<2x2xbf16>
    %d = nvgpu.mma.sync (%a, %b, %acc) {mmaShape = [16, 8, 16]} : (vector<4x2xbf16>, vector<2x2xbf16>, vector<2x2xf32>) -> vector<2x2xf32>
    %e = vector.extract %d[0, 0] : f32 from vector<2x2xf32>
    memref.store %e, %out[%i, %lane] : memref<?x32xf32>
  }
  return
}

// -----

// f16 registers stay vector<2xf16>.
// CHECK-LABEL: func.func @f16
// CHECK-NOT: vector.bitcast
// CHECK: nvvm.mma.sync A[{{.*}}] B[{{.*}}] C[{{.*}}]
// CHECK-SAME: shape = #nvvm.shape<m = 16, n = 8, k = 16>
// CHECK-SAME: (vector<2xf16>, vector<2xf16>, f32) -> !llvm.struct<(f32, f32, f32, f32)>
func.func @f16(%a: vector<4x2xf16>, %b: vector<2x2xf16>, %out: memref<32xf32>) {
  %acc = arith.constant dense<0.0> : vector<2x2xf32>
  scf.forall (%lane) in (32) {
    %d = nvgpu.mma.sync (%a, %b, %acc) {mmaShape = [16, 8, 16]} : (vector<4x2xf16>, vector<2x2xf16>, vector<2x2xf32>) -> vector<2x2xf32>
    %e = vector.extract %d[0, 0] : f32 from vector<2x2xf32>
    memref.store %e, %out[%lane] : memref<32xf32>
  }
  return
}

// -----

// Other shapes are not what the attention emits: an error, not a guess,
// with a note on the forall the kernel comes from.
func.func @m16n8k8(%a: vector<2x2xf16>, %b: vector<1x2xf16>, %out: memref<32xf32>) {
  %acc = arith.constant dense<0.0> : vector<2x2xf32>
  // expected-note @below {{in the kernel built from this scf.forall}}
  scf.forall (%lane) in (32) {
    // expected-error @below {{tfm-linalg-to-gpu: expected an m16n8k16 nvgpu.mma.sync of f16 or bf16 into f32}}
    %d = nvgpu.mma.sync (%a, %b, %acc) {mmaShape = [16, 8, 8]} : (vector<2x2xf16>, vector<1x2xf16>, vector<2x2xf32>) -> vector<2x2xf32>
    %e = vector.extract %d[0, 0] : f32 from vector<2x2xf32>
    memref.store %e, %out[%lane] : memref<32xf32>
  }
  return
}

// -----

// A 2-D transfer has no plain load to become: one error, on the forall.
func.func @transfer_2d(%m: memref<4x4xf32>, %out: memref<32x2x2xf32>) {
  %c0 = arith.constant 0 : index
  %pad = arith.constant 0.0 : f32
  // expected-error @below {{tfm-linalg-to-gpu: cannot lower the vector transfers of this scf.forall's body to plain loads and stores (only 1-D transfers are)}}
  scf.forall (%lane) in (32) {
    %x = vector.transfer_read %m[%c0, %c0], %pad {in_bounds = [true, true], permutation_map = affine_map<(d0, d1) -> (d1, d0)>} : memref<4x4xf32>, vector<2x2xf32>
    vector.transfer_write %x, %out[%lane, %c0, %c0] {in_bounds = [true, true]} : vector<2x2xf32>, memref<32x2x2xf32>
  }
  return
}
