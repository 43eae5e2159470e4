// --random-inputs: dims named by tfm.dim_names, ids drawn below the table
// size, the same seed giving the same outputs.
// RUN: rm -rf %t && mkdir -p %t
// RUN: tfm-run %s --random-inputs --seed=7 --dim=batch=3 --dim=sequence=5 --output=%t/a.npy --output=%t/ids.npy
// RUN: tfm-run %s --random-inputs --seed=7 --dim=batch=3 --dim=sequence=5 --output=%t/b.npy
// RUN: tfm-run %s --random-inputs --seed=8 --dim=batch=3 --dim=sequence=5 --output=%t/c.npy
// RUN: %python -c "import numpy as np; a, b, c, ids = (np.load('%t/' + n + '.npy') for n in 'a b c ids'.split()); assert a.shape == (3, 5, 4); assert (a == b).all() and not (a == c).all(); assert ids.min() >= 0 and ids.max() < 7 and len(np.unique(ids)) > 1"
// RUN: not tfm-run %s --random-inputs --dim=batch=3 2>&1 | FileCheck %s
// CHECK: tfm-run: error: input 0 dimension 1 is dynamic: bind it with --dim=sequence=VALUE

func.func @main(%ids: tensor<?x?xi64> {tfm.dim_names = ["batch", "sequence"]}) -> (tensor<?x?x4xf32>, tensor<?x?xi64>) {
  %table = arith.constant dense<[[0.0, 1.0, 2.0, 3.0], [1.0, 1.0, 1.0, 1.0], [2.0, 2.0, 2.0, 2.0], [3.0, 3.0, 3.0, 3.0],
                                 [4.0, 4.0, 4.0, 4.0], [5.0, 5.0, 5.0, 5.0], [6.0, 6.0, 6.0, 6.0]]> : tensor<7x4xf32>
  %e = tfm.embedding %ids, %table : (tensor<?x?xi64>, tensor<7x4xf32>) -> tensor<?x?x4xf32>
  return %e, %ids : tensor<?x?x4xf32>, tensor<?x?xi64>
}

// The dim names are consumed: no warning from the LLVM translation.
// RUN: tfm-run %s --random-inputs --dim=batch=1 --dim=sequence=2 2>&1 | FileCheck %s --check-prefix=QUIET --allow-empty
// QUIET-NOT: warning

// Ids reach the table through the exporters' Reshape: still drawn below it
// (--int-max is far larger).
// RUN: tfm-run %s --entry=reshaped --random-inputs --seed=7 --int-max=1000 --dim=batch=3 --dim=sequence=5 --output=%t/r.npy --output=%t/rids.npy
// RUN: %python -c "import numpy as np; ids = np.load('%t/rids.npy'); assert ids.min() >= 0 and ids.max() < 7, ids"
func.func @reshaped(%ids: tensor<?x?xi64> {tfm.dim_names = ["batch", "sequence"]}) -> (tensor<?x?x4xf32>, tensor<?x?xi64>) {
  %table = arith.constant dense<1.0> : tensor<7x4xf32>
  %keep = arith.constant dense<0> : tensor<2xi64>
  %r = tfm.onnx_node "Reshape"(%ids, %keep) <{version = 17 : i64}> : (tensor<?x?xi64>, tensor<2xi64>) -> tensor<?x?xi64>
  %e = tfm.embedding %r, %table : (tensor<?x?xi64>, tensor<7x4xf32>) -> tensor<?x?x4xf32>
  return %e, %ids : tensor<?x?x4xf32>, tensor<?x?xi64>
}
