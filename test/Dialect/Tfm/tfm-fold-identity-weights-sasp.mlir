// # The SAS-P test model (dynamo export: every W_V and W_P an identity weight of
// # its own, 3 layers of width 64): folding removes exactly 2·L·d² = 24576
// # parameters and 2·L = 6 matmuls, and the logits do not change.
// RUN: tfm-translate --import-onnx %tfm_src_root/test/Models/sasp_ts/model.onnx -o %t.mlir
// RUN: tfm-opt %t.mlir --tfm-raise --tfm-stats -o %t.raised.mlir | FileCheck %s --check-prefix=BEFORE
// RUN: tfm-opt %t.raised.mlir --tfm-fold-identity-weights --tfm-stats -o %t.folded.mlir 2>%t.remarks | FileCheck %s --check-prefix=AFTER
// RUN: FileCheck %s --check-prefix=REMARKS < %t.remarks
// RUN: tfm-run %t.folded.mlir --input=%tfm_src_root/test/Models/sasp_ts/inputs/input_ids.npy --expected=%tfm_src_root/test/Models/sasp_ts/expected/0.npy --rtol=1e-4 --atol=1e-5
//
// BEFORE: {"parameters":116288,"matmuls":19,"attention":3,"blocks":{"pre_ln":0,"post_ln":0,"parallel":0,"sas":0,"sas_p":3,"unknown":0}}
// AFTER: {"parameters":91712,"matmuls":13,"attention":3,"blocks":{"pre_ln":0,"post_ln":0,"parallel":0,"sas":0,"sas_p":3,"unknown":0},"rewrites":{"tfm-fold-identity-weights":{"matmuls_removed":6,"parameters_removed":24576,"weights_folded":6}}}
// REMARKS-COUNT-6: remark: folded identity weight (64x64, c = 1.000000e+00, ||W - cI||/||W|| = 0.000000e+00)
// REMARKS: remark: block 0 (sas_p): 2 weights folded, GEMMs 6 -> 4
// REMARKS: remark: block 1 (sas_p): 2 weights folded, GEMMs 6 -> 4
// REMARKS: remark: block 2 (sas_p): 2 weights folded, GEMMs 6 -> 4
