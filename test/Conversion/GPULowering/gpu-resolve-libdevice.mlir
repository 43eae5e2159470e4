// RUN: tfm-opt %s --pass-pipeline='builtin.module(gpu.module(tfm-gpu-resolve-libdevice))' --split-input-file --verify-diagnostics | FileCheck %s
// RUN: not tfm-opt %s --pass-pipeline='builtin.module(gpu.module(tfm-gpu-resolve-libdevice{libdevice=%t.missing.bc}))' --split-input-file 2>&1 | FileCheck %s --check-prefix=MISSING
// RUN: tfm-opt %s --pass-pipeline='builtin.module(gpu.module(tfm-gpu-resolve-libdevice{libdevice=%s}))' --split-input-file | FileCheck %s --check-prefix=FOUND

// Calls to libdevice functions that are one PTX instruction become the LLVM
// intrinsics NVPTX selects them from; their declarations go.
// CHECK-LABEL: gpu.module @instructions
// CHECK-NOT: llvm.func @__nv_
// CHECK-LABEL: llvm.func @kernel
// CHECK-SAME: (%[[X:.*]]: f32, %[[Y:.*]]: f32, %[[D:.*]]: f64, %[[I:.*]]: i32, %[[OUT:.*]]: !llvm.ptr)
// CHECK: %[[ABS:.*]] = llvm.intr.fabs(%[[X]]) : (f32) -> f32
// CHECK: %[[FLOOR:.*]] = llvm.intr.floor(%[[ABS]]) : (f32) -> f32
// CHECK: %[[CEIL:.*]] = llvm.intr.ceil(%[[FLOOR]]) : (f32) -> f32
// CHECK: %[[TRUNC:.*]] = llvm.intr.trunc(%[[CEIL]]) : (f32) -> f32
// CHECK: %[[ROUND:.*]] = llvm.intr.round(%[[TRUNC]]) : (f32) -> f32
// CHECK: %[[EVEN:.*]] = llvm.intr.roundeven(%[[ROUND]]) : (f32) -> f32
// CHECK: %[[SQRT:.*]] = llvm.intr.sqrt(%[[EVEN]]) : (f32) -> f32
// CHECK: %[[FMA:.*]] = llvm.intr.fma(%[[SQRT]], %[[Y]], %[[X]]) : (f32, f32, f32) -> f32
// CHECK: %[[SIGN:.*]] = llvm.intr.copysign(%[[FMA]], %[[Y]]) : (f32, f32) -> f32
// CHECK: %[[REM:.*]] = llvm.frem %[[SIGN]], %[[Y]] : f32
// CHECK: %[[ONE:.*]] = llvm.mlir.constant(1.000000e+00 : f32) : f32
// CHECK: %[[ROOT:.*]] = llvm.intr.sqrt(%[[REM]]) : (f32) -> f32
// CHECK: %[[RSQRT:.*]] = llvm.fdiv %[[ONE]], %[[ROOT]] : f32
// CHECK: %[[DSQRT:.*]] = llvm.intr.sqrt(%[[D]]) : (f64) -> f64
// CHECK: %[[DFLOOR:.*]] = llvm.intr.floor(%[[DSQRT]]) : (f64) -> f64
// CHECK: %[[IABS:.*]] = "llvm.intr.abs"(%[[I]]) <{is_int_min_poison = false}> : (i32) -> i32
// exp2f is ex2.approx.f32 (NVPTX's selection of llvm.exp2.f32).
// CHECK: %[[EXP2:.*]] = llvm.intr.exp2(%[[X]]) : (f32) -> f32
// CHECK: llvm.store %[[RSQRT]]
// CHECK: llvm.store %[[DFLOOR]]
// CHECK: llvm.store %[[IABS]]
// CHECK: llvm.store %[[EXP2]]
// FOUND-LABEL: gpu.module @instructions
// FOUND-NOT: llvm.call
gpu.module @instructions {
  llvm.func @__nv_fabsf(f32) -> f32
  llvm.func @__nv_floorf(f32) -> f32
  llvm.func @__nv_ceilf(f32) -> f32
  llvm.func @__nv_truncf(f32) -> f32
  llvm.func @__nv_roundf(f32) -> f32
  llvm.func @__nv_rintf(f32) -> f32
  llvm.func @__nv_sqrtf(f32) -> f32
  llvm.func @__nv_fmaf(f32, f32, f32) -> f32
  llvm.func @__nv_copysignf(f32, f32) -> f32
  llvm.func @__nv_fmodf(f32, f32) -> f32
  llvm.func @__nv_rsqrtf(f32) -> f32
  llvm.func @__nv_sqrt(f64) -> f64
  llvm.func @__nv_floor(f64) -> f64
  llvm.func @__nv_abs(i32) -> i32
  llvm.func @__nv_exp2f(f32) -> f32
  llvm.func @kernel(%x: f32, %y: f32, %d: f64, %i: i32, %out: !llvm.ptr) attributes {gpu.kernel, nvvm.kernel} {
    %0 = llvm.call @__nv_fabsf(%x) : (f32) -> f32
    %1 = llvm.call @__nv_floorf(%0) : (f32) -> f32
    %2 = llvm.call @__nv_ceilf(%1) : (f32) -> f32
    %3 = llvm.call @__nv_truncf(%2) : (f32) -> f32
    %4 = llvm.call @__nv_roundf(%3) : (f32) -> f32
    %5 = llvm.call @__nv_rintf(%4) : (f32) -> f32
    %6 = llvm.call @__nv_sqrtf(%5) : (f32) -> f32
    %7 = llvm.call @__nv_fmaf(%6, %y, %x) : (f32, f32, f32) -> f32
    %8 = llvm.call @__nv_copysignf(%7, %y) : (f32, f32) -> f32
    %9 = llvm.call @__nv_fmodf(%8, %y) : (f32, f32) -> f32
    %10 = llvm.call @__nv_rsqrtf(%9) : (f32) -> f32
    %11 = llvm.call @__nv_sqrt(%d) : (f64) -> f64
    %12 = llvm.call @__nv_floor(%11) : (f64) -> f64
    %13 = llvm.call @__nv_abs(%i) : (i32) -> i32
    %14 = llvm.call @__nv_exp2f(%x) : (f32) -> f32
    llvm.store %10, %out : f32, !llvm.ptr
    llvm.store %12, %out : f64, !llvm.ptr
    llvm.store %13, %out : i32, !llvm.ptr
    llvm.store %14, %out : f32, !llvm.ptr
    llvm.return
  }
}

// -----

// What is not one instruction needs libdevice: without it, an error naming
// the kernel and the function; with it, the call stays.
// MISSING: error: kernel 'main_kernel' calls libdevice's '__nv_sin', but '{{.*}}.missing.bc' does not exist
// FOUND-LABEL: gpu.module @transcendental
// FOUND: llvm.func @__nv_sin
// FOUND: llvm.call @__nv_sin
gpu.module @transcendental {
  // Calls to other functions are fine.
  llvm.func @helper(f32) -> f32
  llvm.func @other_kernel(%x: f32, %out: !llvm.ptr) attributes {gpu.kernel, nvvm.kernel} {
    %0 = llvm.call @helper(%x) : (f32) -> f32
    llvm.store %0, %out : f32, !llvm.ptr
    llvm.return
  }
  llvm.func @__nv_sin(f64) -> f64
  llvm.func @main_kernel(%x: f64, %out: !llvm.ptr) attributes {gpu.kernel, nvvm.kernel} {
    // expected-error @below {{kernel 'main_kernel' calls libdevice's '__nv_sin', but no CUDA Toolkit was found to provide libdevice (tfm-gpu-native-math covers f16, bf16 and f32 math; set CUDA_HOME or the pipeline's toolkit option for the rest)}}
    %0 = llvm.call @__nv_sin(%x) : (f64) -> f64
    llvm.store %0, %out : f64, !llvm.ptr
    llvm.return
  }
}
