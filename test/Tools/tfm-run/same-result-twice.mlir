// A function may return one buffer as several results: every result is
// copied out before the buffer is freed (it used to be read after free).
// RUN: tfm-run %s --random-inputs --seed=2 --output=%t.x.npy --output=%t.y.npy --output=%t.z.npy
// RUN: %python -c "import numpy as np; a, b, c = (np.load('%t.' + n + '.npy') for n in 'xyz'); assert a.shape == (64, 64) and (a == b).all() and (b == c).all() and np.abs(a).max() > 0, 'results differ'"
func.func @main(%x: tensor<64x64xf32>) -> (tensor<64x64xf32>, tensor<64x64xf32>, tensor<64x64xf32>) {
  %y = arith.addf %x, %x : tensor<64x64xf32>
  return %y, %y, %y : tensor<64x64xf32>, tensor<64x64xf32>, tensor<64x64xf32>
}
