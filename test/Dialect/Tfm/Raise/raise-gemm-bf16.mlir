// RUN: tfm-opt %s --tfm-raise-onnx | FileCheck %s
// RUN: tfm-run %s --random-inputs --seed=5 --dim=B=6 --output=%t.0.npy
// RUN: tfm-opt %s --tfm-raise -o %t.raised.mlir
// RUN: tfm-run %t.raised.mlir --random-inputs --seed=5 --dim=B=6 --expected=%t.0.npy --rtol=0 --atol=0

// A bf16 export's Gemm with transB, alpha and beta, its weight a bf16 blob:
// the weight is transposed and scaled into a new bf16 blob, the bias scaled.
// The raised linear and the ONNX Gemm compute alike (products of bf16
// values, f32 sums, one rounding): the outputs are bit-identical.
// CHECK-LABEL: func.func @main(
// CHECK: %[[W:.*]] = arith.constant dense_resource<gemm_weight> : tensor<8x16xbf16>
// CHECK: %[[B:.*]] = arith.constant dense<[{{.*}}]> : tensor<16xbf16>
// CHECK: tfm.linear %{{.*}}, %[[W]], %[[B]] : (tensor<?x8xbf16>, tensor<8x16xbf16>, tensor<16xbf16>) -> tensor<?x16xbf16>
// CHECK-NOT: "Gemm"
// W^T·2: the first row of the new weight is 2·Wt[:, 0], starting 803D403F503FF8BF:
// CHECK: gemm_weight: "0x10000000803D403F503FF8BF
func.func @main(%x32: tensor<?x8xf32> {tfm.dim_names = ["B", ""]}) -> tensor<?x16xf32> {
  %wt = arith.constant dense_resource<wt> : tensor<16x8xbf16>
  %c = arith.constant dense_resource<c> : tensor<16xbf16>
  %x = arith.truncf %x32 : tensor<?x8xf32> to tensor<?x8xbf16>
  %y = tfm.onnx_node "Gemm"(%x, %wt, %c) <{onnx_attrs = {transB = 1 : i64, alpha = 2.0 : f32, beta = 0.5 : f32}, version = 17 : i64}> : (tensor<?x8xbf16>, tensor<16x8xbf16>, tensor<16xbf16>) -> tensor<?x16xbf16>
  %y32 = arith.extf %y : tensor<?x16xbf16> to tensor<?x16xf32>
  return %y32 : tensor<?x16xf32>
}

{-# dialect_resources: { builtin: { wt: "0x02000000003D303F203F80BE20BE80BE903E00BDC03E70BF483F80BDB03E80BD40BE603ED03EC0BD80BDB03EE0BE40BF403EB0BE78BFD0BE60BE18BF40BF003DE03E00BEC0BE403EB03E20BE903E083FC0BDD0BE403E003E103F28BFB0BED0BE60BF803D803EC0BE303FD03EA03E403EF03E28BFA03EA03E60BF403E00BED03E60BE0080203EE0BEA03E80BD803E80BE083FA03EC0BDA03E203F683F48BFE03E603E80BD00BF203F20BF903E283F50BF20BE28BF003E403F803F60BF90BEB03E483F603EC0BE203E0080C0BDC0BE403E203E00BD00BE28BF80BE183FC0BD38BF283F803E883F003D60BE38BF283FA43FD0BEA0BEA03ED0BE00BE40BEC03D103F0000F03E", c: "0x0200000060BE203E88BF38BFD03E90BE903E903E283FD03E003F80BDB0BEC0BE80BE10BF" } } #-}
