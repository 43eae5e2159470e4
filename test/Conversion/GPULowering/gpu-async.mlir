// RUN: tfm-opt %s --tfm-gpu-async | FileCheck %s

module attributes {gpu.container_module} {
  gpu.module @k {
    gpu.func @f(%a: memref<4xf32>) kernel {
      gpu.return
    }
  }
  func.func private @tfm_cuda_matmul_f32_f32(memref<?x?xf32>, memref<?x?xf32>, memref<?x?xf32>)

  // The runtime's synchronisation is declared once.
  // CHECK: func.func private @tfmCudaSynchronize()

  // Launches and runtime GEMMs are queued without waits. The first host
  // read waits once; the second needs no wait of its own. A public
  // function waits before it returns when work may still be queued.
  // CHECK-LABEL: func.func @entry
  // CHECK-NOT:     call @tfmCudaSynchronize
  // CHECK:         gpu.launch_func async @k::@f
  // CHECK-NEXT:    gpu.launch_func async @k::@f
  // CHECK-NEXT:    call @tfm_cuda_matmul_f32_f32
  // CHECK-NEXT:    call @tfmCudaSynchronize() : () -> ()
  // CHECK-NEXT:    memref.load
  // CHECK-NEXT:    memref.load
  // CHECK-NEXT:    gpu.launch_func async @k::@f
  // CHECK-NEXT:    call @tfmCudaSynchronize() : () -> ()
  // CHECK-NEXT:    return
  // CHECK-NOT:     gpu.launch_func @k
  func.func @entry(%x: memref<4xf32>, %m: memref<?x?xf32>) -> (f32, f32) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    gpu.launch_func @k::@f blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%x : memref<4xf32>)
    gpu.launch_func @k::@f blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%x : memref<4xf32>)
    func.call @tfm_cuda_matmul_f32_f32(%m, %m, %m) : (memref<?x?xf32>, memref<?x?xf32>, memref<?x?xf32>) -> ()
    %v = memref.load %x[%c0] : memref<4xf32>
    %w = memref.load %x[%c1] : memref<4xf32>
    gpu.launch_func @k::@f blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%x : memref<4xf32>)
    return %v, %w : f32, f32
  }

  // Work may be queued when a function is entered: its first host access
  // waits. A private function does not wait before returning (its caller
  // does, when it needs to).
  // CHECK-LABEL: func.func private @helper
  // CHECK-NEXT:    arith.constant
  // CHECK-NEXT:    arith.constant
  // CHECK-NEXT:    arith.constant
  // CHECK-NEXT:    call @tfmCudaSynchronize() : () -> ()
  // CHECK-NEXT:    memref.store
  // CHECK-NEXT:    gpu.launch_func async @k::@f
  // CHECK-NEXT:    return
  func.func private @helper(%x: memref<4xf32>) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %f = arith.constant 1.0 : f32
    memref.store %f, %x[%c0] : memref<4xf32>
    gpu.launch_func @k::@f blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%x : memref<4xf32>)
    return
  }

  // A loop that reads memory waits before it when work is queued, and in
  // its body when the body queues work (the previous iteration's); after
  // it, work is queued. So is it after a call to a function that launches.
  // Ops without host memory accesses never wait.
  // CHECK-LABEL: func.func @loops
  // CHECK:         call @tfmCudaSynchronize() : () -> ()
  // CHECK-NEXT:    scf.for
  // CHECK-NEXT:      call @tfmCudaSynchronize() : () -> ()
  // CHECK-NEXT:      memref.load
  // CHECK-NEXT:      gpu.launch_func async @k::@f
  // CHECK-NEXT:    }
  // CHECK-NEXT:    call @tfmCudaSynchronize() : () -> ()
  // CHECK-NEXT:    memref.store
  // CHECK-NEXT:    call @helper
  // CHECK-NEXT:    memref.dim
  // CHECK-NEXT:    memref.subview
  // CHECK-NEXT:    memref.subview
  // CHECK-NEXT:    call @tfmCudaSynchronize() : () -> ()
  // CHECK-NEXT:    memref.copy
  // CHECK-NEXT:    return
  func.func @loops(%x: memref<4xf32>, %n: index) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %f = arith.constant 2.0 : f32
    scf.for %i = %c0 to %n step %c1 {
      %v = memref.load %x[%i] : memref<4xf32>
      gpu.launch_func @k::@f blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%x : memref<4xf32>)
    }
    memref.store %f, %x[%c0] : memref<4xf32>
    func.call @helper(%x) : (memref<4xf32>) -> ()
    %d = memref.dim %x, %c0 : memref<4xf32>
    %s = memref.subview %x[0] [2] [1] : memref<4xf32> to memref<2xf32, strided<[1]>>
    %t = memref.subview %x[2] [2] [1] : memref<4xf32> to memref<2xf32, strided<[1], offset: 2>>
    memref.copy %s, %t : memref<2xf32, strided<[1]>> to memref<2xf32, strided<[1], offset: 2>>
    return
  }

  // A host-only function (like the deallocation helper): its loop waits
  // once, before it, and calling it queues nothing, so the caller's second
  // read needs no wait of its own.
  // CHECK-LABEL: func.func private @host_only
  // CHECK:         call @tfmCudaSynchronize() : () -> ()
  // CHECK-NEXT:    scf.for
  // CHECK-NOT:       call @tfmCudaSynchronize
  // CHECK:         return
  func.func private @host_only(%x: memref<4xf32>, %n: index) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %f = arith.constant 3.0 : f32
    scf.for %i = %c0 to %n step %c1 {
      memref.store %f, %x[%i] : memref<4xf32>
    }
    return
  }

  // CHECK-LABEL: func.func @calls_host_only
  // CHECK:         call @tfmCudaSynchronize() : () -> ()
  // CHECK-NEXT:    memref.load
  // CHECK-NEXT:    call @host_only
  // CHECK-NEXT:    memref.load
  // CHECK-NEXT:    return
  func.func @calls_host_only(%x: memref<4xf32>, %n: index) -> (f32, f32) {
    %c0 = arith.constant 0 : index
    %a = memref.load %x[%c0] : memref<4xf32>
    func.call @host_only(%x, %n) : (memref<4xf32>, index) -> ()
    %b = memref.load %x[%c0] : memref<4xf32>
    return %a, %b : f32, f32
  }
}
