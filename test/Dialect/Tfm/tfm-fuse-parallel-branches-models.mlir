// End to end on the exported test models: import, raise, fuse, count the
// GEMMs (tfm-stats) and compare the fused model with PyTorch's logits.
// Parallel blocks (GPT-J, GPT-NeoX, Phi) end with 2 GEMMs per block, plus
// the lm_head: 2·2 + 1 = 5 (from 13, 9, 13). Pre-LN Llama gets Q/K/V and
// gate/up fused but no output GEMMs merged: 2·4 + 1 = 9 (from 15).
// REQUIRES: tfm-raise

// RUN: tfm-translate --import-onnx %tfm_src_root/test/Models/gptj_ts/model.onnx | tfm-opt --tfm-raise --tfm-fuse-parallel-branches --tfm-stats -o %t.gptj.mlir 2>%t.gptj.err | FileCheck %s --check-prefix=GPTJ
// RUN: FileCheck %s --check-prefix=GPTJ-REMARK < %t.gptj.err
// RUN: tfm-run %t.gptj.mlir --input=%tfm_src_root/test/Models/gptj_ts/inputs/input_ids.npy --expected=%tfm_src_root/test/Models/gptj_ts/expected/0.npy --rtol=1e-4 --atol=1e-5
// GPTJ: "matmuls":5,"attention":2,
// GPTJ-SAME: "parallel":2
// GPTJ-REMARK-COUNT-2: remark: fused 6 linears; GEMMs 6 -> 2

// RUN: tfm-translate --import-onnx %tfm_src_root/test/Models/neox_ts/model.onnx | tfm-opt --tfm-raise --tfm-fuse-parallel-branches --tfm-stats -o %t.neox.mlir 2>%t.neox.err | FileCheck %s --check-prefix=NEOX
// RUN: FileCheck %s --check-prefix=NEOX-REMARK < %t.neox.err
// RUN: tfm-run %t.neox.mlir --input=%tfm_src_root/test/Models/neox_ts/inputs/input_ids.npy --expected=%tfm_src_root/test/Models/neox_ts/expected/0.npy --rtol=1e-4 --atol=1e-5
// NEOX: "matmuls":5,"attention":2,
// NEOX-SAME: "parallel":2
// NEOX-REMARK-COUNT-2: remark: fused 4 linears; GEMMs 4 -> 2

// RUN: tfm-translate --import-onnx %tfm_src_root/test/Models/phi_ts/model.onnx | tfm-opt --tfm-raise --tfm-fuse-parallel-branches --tfm-stats -o %t.phi.mlir 2>%t.phi.err | FileCheck %s --check-prefix=PHI
// RUN: FileCheck %s --check-prefix=PHI-REMARK < %t.phi.err
// RUN: tfm-run %t.phi.mlir --input=%tfm_src_root/test/Models/phi_ts/inputs/input_ids.npy --expected=%tfm_src_root/test/Models/phi_ts/expected/0.npy --rtol=1e-4 --atol=1e-5
// PHI: "matmuls":5,"attention":2,
// PHI-SAME: "parallel":2
// PHI-REMARK-COUNT-2: remark: fused 6 linears; GEMMs 6 -> 2

// RUN: tfm-translate --import-onnx %tfm_src_root/test/Models/llama_ts/model.onnx | tfm-opt --tfm-raise --tfm-fuse-parallel-branches --tfm-stats -o %t.llama.mlir 2>%t.llama.err | FileCheck %s --check-prefix=LLAMA
// RUN: FileCheck %s --check-prefix=LLAMA-REMARK < %t.llama.err
// RUN: tfm-run %t.llama.mlir --input=%tfm_src_root/test/Models/llama_ts/inputs/input_ids.npy --expected=%tfm_src_root/test/Models/llama_ts/expected/0.npy --rtol=1e-4 --atol=1e-5
// LLAMA: "matmuls":9,"attention":2,
// LLAMA-SAME: "pre_ln":2
// LLAMA-REMARK-COUNT-2: remark: fused 5 linears; GEMMs 7 -> 4
// RUN: FileCheck %s --check-prefix=LLAMA-IR < %t.llama.mlir
// LLAMA-IR: tfm.block pre_ln
// LLAMA-IR-NOT: tensor.concat
