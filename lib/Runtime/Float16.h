//===- Float16.h - f16 and bf16 bit patterns to and from f32 ------*- C++
//-*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The conversions the runtime libraries (.npy I/O, the CPU GEMMs) share,
// header-only so that neither library depends on the other or on LLVM.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_LIB_RUNTIME_FLOAT16_H
#define TFM_LIB_RUNTIME_FLOAT16_H

#include <cstdint>
#include <cstring>

namespace mlir::tfm::runtime {

/// The f32 value of an IEEE half (exact: subnormals, infinities, NaN).
inline float halfToFloat(uint16_t h) {
  uint32_t sign = (h & 0x8000u) << 16, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  uint32_t bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else { // subnormal
      int e = -1;
      do {
        ++e;
        mant <<= 1;
      } while (!(mant & 0x400));
      bits = sign | ((127 - 15 - e) << 23) | ((mant & 0x3ff) << 13);
    }
  } else if (exp == 31) {
    bits = sign | 0x7f800000u | (mant << 13);
  } else {
    bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

/// The f32 value of a bfloat16 (its upper 16 bits).
inline float bf16ToFloat(uint16_t h) {
  uint32_t bits = static_cast<uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

} // namespace mlir::tfm::runtime

#endif // TFM_LIB_RUNTIME_FLOAT16_H
