//===- Passes.td - tfm conversion passes -------------------*- tablegen -*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef TFM_CONVERSION_PASSES_TD
#define TFM_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertTfmToLinalg : Pass<"convert-tfm-to-linalg"> {
  let summary = "Lower every tfm op to linalg, tensor, arith and math on tensors";
  let description = [{
    Gives every tfm op its executable meaning in upstream dialects, with
    dynamic batch and sequence dimensions kept dynamic:

    - `tfm.linear` becomes a `linalg.matmul` over the flattened leading
      dimensions whose accumulator starts from the broadcast bias;
    - `tfm.attention` becomes two `linalg.batch_matmul`s over
      [batch·kv_heads, group·queries, keys] with a numerically stable
      softmax between them (row max subtracted, fully masked rows give
      zeros); GQA groups the query heads that share a key/value head along
      the query dimension, so no key or value is copied per query head;
      bias slots are concatenated in front of the keys and values and are
      always visible; shaped attention never builds α·I − γ·C: it adds
      α·V − γ·C·V to β·softmax·V, with C·V the running mean of V over the
      sequence (a prefix sum in an `scf.for`, divided by t + 1) when causal
      and the mean of all value rows otherwise;
    - `tfm.norm`, `tfm.activation`, `tfm.residual`, `tfm.embedding` and
      `tfm.rotary` become `linalg.generic` ops;
    - `tfm.block` is inlined.

    f16 and bf16 inputs are computed in f32 (matmul accumulation, norm
    statistics and softmax included) and the results rounded back.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def TfmFuseAttention : Pass<"tfm-fuse-attention"> {
  let summary = "Lower tfm.attention to one online-softmax loop nest";
  let description = [{
    Rewrites each `tfm.attention` whose head widths are static (and at most
    `max-head-dim`) into an `scf.forall` over (batch, kv head, query head of
    the group, query row). A point keeps its query row, the running max and
    sum and the output accumulator as vectors of the head width and streams
    the bias slots, then the keys its row can see, once (the online softmax
    of FlashAttention): no logits tensor is built and causal rows stop at
    their last visible key. Masks (i1 or additive), GQA/MQA and shaped
    attention (whose C·V is the running sum of the streamed value rows) are
    handled in the same loop; rows that see no key give zeros. f16/bf16 are
    read and written as such and computed in f32.

    The keys are taken `key-block` at a time: their logits are independent
    dot products, and the state is rescaled once per block, so the serial
    max/exp/rescale chain that bounds a row's speed is one step per block
    instead of per key. The keys left over after the last full block are
    folded in one by one.

    `tfm-to-cuda` runs it before `convert-tfm-to-linalg`, and
    `tfm-linalg-to-gpu` turns each forall into one kernel with a thread per
    query row; `tfm-to-cpu{fused-attention=1}` runs the same IR on the CPU,
    which is how its numerics are checked without a GPU. Other attention
    ops are left to `convert-tfm-to-linalg`.

    With `tensor-cores` (GPU only), bf16/f16 attention whose head widths
    are multiples of 16 up to 128 (value heads up to 64 when shaped)
    becomes instead a forall over (batch, kv head, query
    head of the group, 16-row query tile, lane): each warp of 32 lanes
    computes its tile's Q·Kᵀ and P·V with `nvgpu.mma.sync` (m16n8k16, f32
    accumulation), 64 keys per online-softmax step (16 when shaped, whose
    C·V is a second accumulator; bias slots are a first loop of 16 slots a
    step), the row statistics reduced with `gpu.shuffle`. That IR runs on a
    GPU, or on the CPU through `tfm-emulate-warps`.
  }];
  let options = [
    Option<"maxHeadDim", "max-head-dim", "int64_t", /*default=*/"256",
           "Widest query/value head kept in one point's vectors">,
    Option<"keyBlock", "key-block", "int64_t", /*default=*/"8",
           "Keys whose logits are computed together before one update of "
           "the running max, sum and output (1: one key at a time)">,
    Option<"tensorCores", "tensor-cores", "bool", /*default=*/"false",
           "Lower bf16/f16 attention with head widths that are multiples of "
           "16 to warps of mma.sync (a GPU-only form; sm_80 or later)">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::gpu::GPUDialect",
    "::mlir::math::MathDialect",
    "::mlir::nvgpu::NVGPUDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
    "::mlir::vector::VectorDialect",
  ];
}

def ConvertOnnxToLinalg : Pass<"convert-onnx-to-linalg"> {
  let summary = "Legalise imported ONNX nodes into linalg, tensor, arith and math";
  let description = [{
    Rewrites every `tfm.onnx_node` (the generic stage of ONNX import) into
    upstream ops on tensors, per operator type and the opset version the
    model imports the node's domain at, and erases the `tfm.onnx_none`
    placeholders of absent optional inputs. A node whose operator, domain or
    opset is not supported, or whose operands it cannot handle, is an error
    at the node's location naming its name, type, domain and opset, and the
    pass fails. `isOnnxOpSupported` (OnnxToLinalg.h) answers from the same
    table the pass uses.

    Dynamic dimensions stay dynamic. Shapes computed at run time (the
    Shape -> Gather -> Unsqueeze -> Concat -> Reshape chains exporters emit)
    are followed element by element, so a shape that is constant folds to
    static extents and one that is not is read with `tensor.extract`; small
    integer tensors (16 elements or fewer) are computed as scalars for that
    reason. Broadcasting elementwise ops become `linalg.generic`s whose
    indexing maps broadcast dimensions that are statically 1. A dimension
    that is dynamic in two operands is assumed to have the same extent in
    both at run time: broadcasting a dynamic extent that turns out to be 1
    is not supported. Where the result type built differs from the declared
    (shape-inferred) one only in static versus dynamic extents, a
    `tensor.cast` to the declared type is inserted.

    f16 and bf16 are computed in f32 (matmul accumulation, reductions,
    normalisation statistics, transcendental functions) and rounded back.
    Integer division truncates toward zero; Cast follows ONNX (float to
    integer truncates toward zero, anything to bool is `!= 0`).
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def ConvertLinalgToTfmRuntime : Pass<"convert-linalg-to-tfm-runtime", "::mlir::ModuleOp"> {
  let summary = "Call the tuned runtime GEMM (CPU oneDNN or CUDA cuBLASLt) for matmuls on buffers";
  let description = [{
    Replaces `linalg.matmul` and `linalg.batch_matmul` on f32 memrefs (after
    bufferization) with calls to the tfm CPU runtime (`tfm_rt_matmul_f32`,
    `tfm_rt_batch_matmul_f32`: C += A·B, backed by oneDNN), passing strided
    views so no operand is copied. When the op right before is a zero
    `linalg.fill` of the accumulator, the fill is dropped and the
    overwriting variant (`..._set_f32`: C = A·B) is called instead. Ops of
    other element types, and ops on tensors, are left for the loop
    lowering.

    With `runtime=cuda` the calls go to the CUDA runtime's cuBLASLt GEMMs
    instead (`tfm_cuda_matmul[_set]_AB_C`, `tfm_cuda_batch_matmul[_set]_AB_C`)
    for the operand types it provides: f32·f32→f32, f16·f16→f32|f16 and
    bf16·bf16→f32|bf16, always accumulated in f32. A 2-D GEMM also takes
    over, where the runtime's epilogues can do the work:
    - a bias broadcast into its accumulator (`_bias`);
    - the rounding of its f32 result to the 16-bit operand type (`_AB_AB`),
      and then the bias in that type;
    - an activation kernel on its result, ReLU or GELU's tanh form (the
      latter on 16-bit results only), in the form `tfm-to-linalg` writes
      (`_set_ACT`, `_bias_ACT`);
    - a kernel adding another buffer X to its result, a residual add
      (`_set_residual`, `_bias_residual`: X is cuBLASLt's C, beta = 1).
    A GEMM that takes over a later kernel's write is placed where that
    kernel was, and only where the buffer it then writes provably shares no
    byte with its operands (distinct allocations, or disjoint constant
    slots of one; X may also be that buffer itself) and its own result is
    read by nothing else.

    Run it right after bufferization, before deallocation and memory
    planning: every buffer is still its own allocation, and buffer
    lifetimes then see what each call reads and writes.
  }];
  let options = [
    Option<"runtime", "runtime", "std::string", /*default=*/"\"cpu\"",
           "Which runtime provides the GEMMs: cpu (oneDNN) or cuda (cuBLASLt)">,
  ];
  let dependentDialects = ["::mlir::func::FuncDialect",
                           "::mlir::memref::MemRefDialect"];
}

def TfmGPUDeviceMemory : Pass<"tfm-gpu-device-memory", "::mlir::ModuleOp"> {
  let summary = "Place every buffer of bufferized host code in GPU-visible memory";
  let description = [{
    Runs on host functions after bufferization, before the linalg ops become
    kernels, and makes every buffer a kernel may touch device-accessible:

    - `memref.alloc` (and entry-block `memref.alloca`) becomes
      `gpu.alloc host_shared`: managed memory that kernels and host code
      (after `tfm-gpu-async`'s waits) can both address; `memref.dealloc`
      becomes an async `gpu.dealloc`, which returns the block to the
      runtime's pool in stream order;
    - `memref.get_global` of a constant (a weight) becomes a call to the CUDA
      runtime's `tfm_cuda_constant_rN_T`, which uploads the data on first use
      and returns the cached device copy afterwards;
    - `memref.copy` between buffers becomes `linalg.copy`, so it runs as a
      kernel;
    - public functions (entry points) keep their host-memory interface: each
      memref argument is copied (`gpu.memcpy`, in stream order) into managed
      memory on entry, and each memref result is copied out into a fresh
      host allocation that the caller owns (`gpu.memcpy`, or a host
      `memref.copy` for a strided view), the device buffer being freed.

    Mutable globals and allocas outside a function's entry block are
    errors.
  }];
  let dependentDialects = ["::mlir::func::FuncDialect",
                           "::mlir::gpu::GPUDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::memref::MemRefDialect"];
}

def TfmMergeGPUModules : Pass<"tfm-merge-gpu-modules", "::mlir::ModuleOp"> {
  let summary = "Move every outlined kernel into one gpu.module";
  let description = [{
    `gpu-kernel-outlining` puts each kernel in a `gpu.module` of its own,
    each later serialised to a binary of its own and loaded separately. This
    pass moves all of them into a single `gpu.module` (named by `name`) and
    updates the `gpu.launch_func` ops, so that a model has one PTX/cubin and
    one module load. Run it before a target is attached.
  }];
  let options = [
    Option<"moduleName", "name", "std::string", /*default=*/"\"tfm_kernels\"",
           "Name of the merged gpu.module">,
  ];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

def TfmLinalgToGPU : Pass<"tfm-linalg-to-gpu", "::mlir::ModuleOp"> {
  let summary = "Turn linalg ops on buffers into gpu.launch kernels built from templates";
  let description = [{
    Replaces every linalg op on memrefs in host code by a `gpu.launch` built
    from one of three kernel templates:

    - **elementwise** (only parallel loops): one thread per V consecutive
      innermost elements over the flattened iteration space, 256 threads a
      block. V = 16 bytes / the narrowest element when the innermost loop is
      static, a multiple of V, and every operand that varies along it is an
      identity-layout buffer indexed by it last; those operands move as
      aligned 128-bit `vector.load`/`vector.store`. Operands that do not vary
      along it are loaded once per thread.
    - **row reduction** (parallel loops and one innermost reduction whose
      every result is `acc ⊕ f(inputs)` for a known ⊕ on f32 or i32): one
      block per output row, each thread folds a strided slice of the row in
      registers (vectorised as above when the row is static), then
      `gpu.all_reduce` combines the threads with warp shuffles, every
      thread folds the total into the output's initial value and thread 0
      stores it. A `linalg.fill` of that output right before the op
      (nothing touching memory between) is folded in: the kernel starts
      from the fill's value, and the fill is no kernel.
    - **row chain**: the ops right after a row reduction that read its
      totals at their own row (the same buffer through the same map) and
      run over the same loops join its kernel, one after the other in each
      block: further row reductions (a layer norm's centred second moment,
      a softmax's sum of exponentials) and, last, one op with only parallel
      loops (the normalisation), whose threads compute strided slices of
      the row. Later ops take the totals as values; a total that nothing
      outside the chain reads (a temporary of the chain only) is never
      stored. An op joins only where no block can see another's writes:
      it may share no byte with what an earlier op of the chain writes
      (but for those totals), nor write what an earlier op reads
      (`tfm::provablyDisjoint`: distinct allocations, disjoint constant
      ranges, or tfm-plan-buffers slots in use at the same time). A layer
      norm is one kernel, a softmax too.
    - **generic**: one thread per point of the parallel loops, with the
      reduction loops serial inside it; any linalg op (named or generic,
      reductions anywhere, `linalg.index`) lowers this way.

    A host `scf.forall` on buffers (the fused attention of
    `tfm-fuse-attention`) becomes one kernel with a thread per point, the
    last dimension fastest; the vector transfers of its body become
    `vector.load`/`vector.store` on the underlying buffers, aligned to their
    size (up to 16 bytes) where the buffer layout and index prove it, and
    its `nvgpu.mma.sync` ops (the tensor-core attention's m16n8k16 tiles)
    become `nvvm.mma.sync`, bf16 included.

    Empty iteration spaces launch nothing. GEMMs meant for cuBLASLt must be
    converted before this pass (`convert-linalg-to-tfm-runtime{runtime=cuda}`).
  }];
  let options = [
    Option<"blockSize", "block-size", "int64_t", /*default=*/"256",
           "Threads per block of the elementwise and row templates (a multiple of 32, at most 1024)">,
    Option<"vectorize", "vectorize", "bool", /*default=*/"true",
           "Use 128-bit vector accesses where the template allows them">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::affine::AffineDialect",
                           "::mlir::gpu::GPUDialect",
                           "::mlir::LLVM::LLVMDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::NVVM::NVVMDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::vector::VectorDialect"];
}

def TfmLowerExpandShape : Pass<"tfm-lower-expand-shape"> {
  let summary = "Rewrite memref.expand_shape as a reinterpret_cast of its strided metadata";
  let description = [{
    MLIR 22.1's `expand-strided-metadata` crashes on a `memref.expand_shape`
    whose output shape has dynamic extents. This pass computes the expanded
    strides itself (`extract_strided_metadata` + index arithmetic) and
    emits an equivalent `memref.reinterpret_cast`, which lowers cleanly.
    Run it right before `expand-strided-metadata`.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::memref::MemRefDialect"];
}

def TfmPolynomialMath : Pass<"tfm-polynomial-math"> {
  let summary = "Expand exp, tanh and erf on f32 into inline polynomials";
  let description = [{
    Replaces f32 `math.exp`, `math.tanh` and `math.erf` with the
    polynomial approximations of MLIR's math dialect (a few ulp, well inside
    the 1e-5 relative tolerance tfm's CPU path is held to). Unlike calls
    into libm, the polynomials are plain arithmetic that the loop
    vectoriser turns into AVX-512 code, which makes softmax and GELU
    memory-bound instead of call-bound.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::vector::VectorDialect"];
}

def TfmEmulateGPULaunches : Pass<"tfm-emulate-gpu-launches"> {
  let summary = "Run gpu.launch kernels of host code on the CPU, block by block and thread by thread";
  let description = [{
    Rewrites each `gpu.launch` into a loop over its blocks and, inside, a
    loop over their threads, so that the kernels `tfm-linalg-to-gpu` builds
    can be checked against the CPU executor without a GPU. Block-wide
    operations at the top level of the kernel body (`gpu.all_reduce` with a
    reduction kind, `gpu.barrier`) split it into phases: each thread runs a
    phase before the next phase starts in any thread. A value that crosses
    a phase boundary is kept per thread in a scratch buffer; an all-reduce
    folds the threads' operands in thread order and gives every thread of
    the later phases the total.

    Warp-level operations (shuffles, subgroup ops, NVVM and NVGPU ops), a
    block-wide operation inside control flow, clusters, async launches and
    memory attributions are errors naming the op: the tensor-core attention
    is emulated a warp at a time before it becomes a kernel
    (`tfm-emulate-warps`).

    `reverse=1` runs the blocks and the threads last to first: a kernel
    whose threads or blocks race gives different results in the two
    orders.

    `tfm-to-cpu{emulate-gpu-kernels=1}` (`tfm-run --emulate-gpu-kernels`)
    runs `tfm-linalg-to-gpu` and then this pass in the CPU pipeline.
  }];
  let options = [
    Option<"reverse", "reverse", "bool", /*default=*/"false",
           "Run blocks and threads from the last to the first">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::vector::VectorDialect"];
}

def TfmEmulateCUDAHost : Pass<"tfm-emulate-cuda-host", "::mlir::ModuleOp"> {
  let summary = "Run the host side of a CUDA program on the CPU";
  let description = [{
    For a CUDA program whose kernels already run on the CPU
    (`tfm-emulate-gpu-launches`): `gpu.alloc` becomes `memref.alloc`,
    `gpu.dealloc` `memref.dealloc`, `gpu.memcpy` `memref.copy`, and stream
    waits go (nothing runs asynchronously); calls to the CUDA runtime
    (`tfm_cuda_*`: weight uploads, cuBLASLt GEMMs with their epilogues) are
    renamed `tfm_emulated_cuda_*`, which the CPU executor resolves to the
    runtime's CPU stand-in with the same contracts (f32 accumulation, one
    rounding to the result type).

    With `tfm-to-cpu{emulate-gpu-kernels=1}` the CUDA pipeline's host
    program, GEMM calls and kernels are thereby checked against the CPU
    executor without a GPU. Kernel launches left in the module are an
    error.
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
}

def TfmEmulateWarps : Pass<"tfm-emulate-warps"> {
  let summary = "Run warp-level scf.forall kernels (mma.sync, shuffles) on the CPU";
  let description = [{
    A forall whose innermost dimension is 32 lanes and whose body uses
    warp-wide operations (`nvgpu.mma.sync`, `gpu.shuffle`) only means
    something on a GPU, where those lanes are one warp. This pass rewrites
    such a forall so that one point runs the whole warp: every value that
    differs between lanes becomes a vector with one slice per lane (lane-
    major: lane l of a `vector<4x2xf16>` is elements [8l, 8l + 8)), and

    - elementwise arith/math ops act on those vectors;
    - `nvgpu.mma.sync` (m16n8k16) gathers the lanes' fragments by the PTX
      ISA's fragment layouts and multiplies them in f32;
    - `gpu.shuffle xor` permutes lanes;
    - lane-dependent reads of tensors become `vector.gather`s;
    - lane-dependent slices of the output are kept per lane and inserted
      one by one.

    Control flow must be the same in every lane (loop bounds may not
    depend on the lane), which is how tfm's warp kernels are built; any
    other lane-dependent op is an error naming it.

    `tfm-to-cpu{emulate-tensor-core-attention=1}` runs it right after
    `tfm-fuse-attention{tensor-cores=1}`, so that the tensor-core attention
    kernel is checked against the CPU executor without a GPU. Emulated,
    the kernel is slow: it is a checking tool, not a CPU lowering.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::vector::VectorDialect"];
}

def TfmFuseElementwise : Pass<"tfm-fuse-elementwise"> {
  let summary = "Fuse producer/consumer linalg.generic ops on tensors";
  let description = [{
    Fuses elementwise `linalg.generic` producers into their `linalg.generic`
    consumers (elementwise or reductions), so that chains such as
    scale -> mask -> row max -> exp -> row sum read the logits fewer times.
    Unlike upstream `linalg-fuse-elementwise-ops`, it never touches named
    ops and never propagates reshapes, so `linalg.matmul` and
    `linalg.batch_matmul` stay intact for the runtime GEMM, and a producer
    is only fused when the consumer is its single user (no recomputation).
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def TfmUnshareInits : Pass<"tfm-unshare-inits"> {
  let summary = "Give each destination-style op its own init (fill, broadcast, empty)";
  let description = [{
    CSE merges identical `linalg.fill` and `linalg.broadcast` ops on tensors,
    so same-shaped linears start from one zero- or bias-filled tensor. One
    GEMM can then write it in place; bufferization copies the filled buffer
    for every other one, and the copy hides the fill from
    `convert-linalg-to-tfm-runtime` (no beta = 0 GEMM, no bias epilogue).
    This pass clones such a fill or broadcast (and the `tensor.empty` it
    fills) right before each destination use but the first, so every GEMM
    fills its own accumulator: the same pass over memory as the copy, and
    the runtime GEMMs see their init. Other readers keep the original.
    A `tensor.empty` that several destination-style ops write into is
    cloned the same way: each writes a buffer of its own, which
    `tfm-plan-buffers` then places by lifetime, rather than one buffer in
    place in turn. Run it after CSE, right before bufferization.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect"];
}

def TfmDecomposeConcat : Pass<"tfm-decompose-concat"> {
  let summary = "Write each tensor.concat input into its slice of the result";
  let description = [{
    A `tensor.concat` becomes a `tensor.empty` of its result and one
    `tensor.insert_slice` per input. Followed by upstream
    `eliminate-empty-tensors`, the op producing each input then writes its
    slice of the concatenation in place: no copy per input after
    bufferization (the K-concatenated activations of a fused parallel
    block's output GEMM, the bias slots before a head's keys). An input that
    cannot be written in place (a function argument, a view of another
    buffer) is still copied. Run it right before bufferization.
  }];
  let dependentDialects = ["::mlir::tensor::TensorDialect"];
}

def TfmPlanBuffers : Pass<"tfm-plan-buffers", "::mlir::func::FuncOp"> {
  let summary = "Pack a function's temporary buffers into one arena, placed by lifetime";
  let description = [{
    Runs on bufferized functions after deallocation. A temporary is a
    `memref.alloc` in the function's entry block with an identity layout, a
    sized element type and exactly one `memref.dealloc`, also in the entry
    block, that no alias escapes (is returned or freed elsewhere). Its
    lifetime runs from the allocation to the last top-level operation that
    uses it or any view of it (results of ops that take a view are views,
    except for `func.call` results, which the deallocation ABI makes fresh
    buffers).

    The temporaries become `memref.view`s of one arena, allocated once at
    the function's entry and freed before its return; two temporaries share
    bytes only if their lifetimes are disjoint. Offsets are multiples of
    `alignment`:

    - buffers of static size get constant offsets in the arena's first part,
      placed largest first in the lowest gap that no overlapping buffer
      occupies;
    - buffers of dynamic size follow, in allocation order, each above every
      earlier overlapping one; their offsets are index arithmetic at the
      entry, so the size expressions must be computable there (from the
      arguments and constants through side-effect-free ops).

    The arena carries the unit attribute `tfm.arena`: later passes may
    take two of its views whose lifetimes overlap to share no byte
    (`tfm::provablyDisjoint`).

    Where the buffers go (host memory, or GPU memory after
    `tfm-gpu-device-memory`) is up to later passes: one allocation per call
    instead of one per temporary, with peak memory set by liveness.
  }];
  let options = [
    Option<"alignment", "alignment", "int64_t", /*default=*/"256",
           "Byte alignment of the arena and of every offset in it (a power of "
           "two, at least 16)">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::memref::MemRefDialect"];
}

def TfmGPUAsync : Pass<"tfm-gpu-async", "::mlir::ModuleOp"> {
  let summary = "Launch kernels without waiting; synchronise only where the host needs the data";
  let description = [{
    Runs on host code after kernel outlining. A `gpu.launch_func` without an
    async token lowers to a launch followed by a full stream
    synchronisation; this pass makes every launch async instead (its token
    unused): tfm's CUDA runtime hands every stream request the one library
    stream, which its cuBLASLt calls, copies and memory pool also use, so
    stream order alone keeps kernels, GEMMs and buffer reuse in sequence.

    The host waits (a call to the runtime's `tfmCudaSynchronize`; a
    `gpu.wait` would only cover the tokens it names) only:

    - before an op that reads or writes memory on the host (`memref.load`,
      `memref.store`, `memref.copy`, ops with unknown effects), if GPU work
      may have been queued since the last wait: at the start of a function
      or of a nested block, after a launch, a GPU memory op, a call into the
      runtime (`tfm_cuda_*`) or any other call, or after an op whose regions
      contain any of these;
    - before the return of a public function (an entry point) when work may
      be queued, so that a call returns with its results complete and any
      kernel error reported.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

def TfmGPUNativeMath : Pass<"tfm-gpu-native-math"> {
  let summary = "Expand kernel math into arithmetic and one-instruction math ops";
  let description = [{
    `convert-gpu-to-nvvm` turns every `math` op into a call into CUDA's
    libdevice (`__nv_sinf`, `__nv_powf`, ...), which only a CUDA Toolkit
    provides: without one, the PTX names functions nobody defines. Run on
    kernel code (scalars and vectors; tensors are left alone) before that
    conversion, this pass leaves only math ops that are one PTX instruction
    (`absf`, `floor`, `ceil`, `trunc`, `round`, `roundeven`, `sqrt`, `fma`,
    `copysign`, f32 `exp2` as `ex2.approx`, and `arith.remf`), which
    `tfm-gpu-resolve-libdevice` maps to LLVM intrinsics after the
    conversion:

    - `math.rsqrt` becomes `1 / sqrt` (correctly rounded, unlike
      libdevice's `rsqrt.approx`);
    - `math.sin` and `math.cos` (f32) reduce their argument by pi/2 with a
      three-part Cody-Waite constant and evaluate minimax polynomials: within
      one ulp for |x| up to 1e5, which covers rotary angles;
    - `math.powf` (f32) is `exp(y * log|x|)` with the sign of a negative base
      raised to an odd integer, NaN for a negative base and a non-integer
      exponent, and `x^0 = 1^y = 1`; constant exponents such as 2, 3 or 0.5
      become multiplications and square roots first;
    - `log`, `log2`, `log1p`, `expm1`, `exp`, `tanh`, `erf`, `erfc`, `atan`,
      `atan2`, `asin`, `acos` and `cbrt` (f32) use the math dialect's
      polynomial approximations; `tan`, `sinh`, `cosh`, `asinh`, `acosh` and
      `atanh` are expanded into those;
    - f16 and bf16 math is computed in f32.

    Everything it produces is ordinary arithmetic that the CPU can run too,
    which is how tfm's tests measure its accuracy. f64 transcendentals stay
    (libdevice's).
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::vector::VectorDialect"];
}

def TfmGPULaunchBounds : Pass<"tfm-gpu-launch-bounds", "::mlir::gpu::GPUModuleOp"> {
  let summary = "Declare the occupancy the tensor-core kernels are built for";
  let description = [{
    A kernel whose warps keep `mma.sync` fragments in registers (the
    tensor-core attention: Q's fragments, a key step's logits and the output
    accumulator) needs about 160 to 250 registers a thread. Left alone,
    ptxas picks the occupancy itself, and near 170 registers it may cap a
    128-thread block at 168 (three blocks an SM) and spill the rest to local
    memory, depending on the chip and the kernel's exact shape.

    This pass gives every kernel (`gpu.func` with `kernel`) that contains
    `nvvm.mma.sync` an explicit lower bound of `min-blocks-per-sm` resident
    blocks (`nvvm.minctasm`, PTX's `.minnctapersm`), as CUDA's
    `__launch_bounds__` would: with the default of 2 and blocks of 128
    threads, ptxas may use up to 255 registers and does not trade spills for
    a third block. A kernel that already declares a bound keeps it. Run on
    kernel modules before `convert-gpu-to-nvvm`, which carries the attribute
    to the LLVM function.
  }];
  let options = [
    Option<"minBlocksPerSM", "min-blocks-per-sm", "unsigned", /*default=*/"2",
           "Blocks of a tensor-core kernel that must fit on an SM at once">,
  ];
  let dependentDialects = ["::mlir::NVVM::NVVMDialect"];
}

def TfmGPUResolveLibdevice : Pass<"tfm-gpu-resolve-libdevice", "::mlir::gpu::GPUModuleOp"> {
  let summary = "Replace libdevice calls that are one PTX instruction; reject the rest without libdevice";
  let description = [{
    Runs on a `gpu.module` after `convert-gpu-to-nvvm`. Calls to libdevice
    functions that are a single PTX instruction (`__nv_fabsf`, `floorf`,
    `ceilf`, `truncf`, `roundf`, `rintf`, `sqrtf`, `fmaf`, `copysignf`,
    `fmodf`, `rsqrtf` as `1 / sqrt`, their f64 forms, `exp2f` as
    `ex2.approx.f32` (within 2 ulp, as libdevice's), and `__nv_abs`,
    `__nv_llabs`) become the LLVM intrinsics NVPTX selects those
    instructions from, and their declarations go. The PTX is then the same
    with or without a CUDA Toolkit.

    If a kernel still calls libdevice (f64 transcendentals, say) and
    `libdevice` does not name an existing file, the pass reports which
    kernel calls which function and fails, instead of letting PTX with
    undefined functions through to the driver.
  }];
  let options = [
    Option<"libdevice", "libdevice", "std::string", /*default=*/"\"\"",
           "Path of libdevice.10.bc (empty: not available)">,
  ];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

#endif // TFM_CONVERSION_PASSES_TD
