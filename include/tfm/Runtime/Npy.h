//===- Npy.h - NumPy .npy reader and writer ---------------------*- C++ -*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Reads and writes single arrays in NumPy's .npy format (format versions 1.0,
// 2.0 and 3.0; see numpy.lib.format). In memory an array is always dense, C
// (row-major) ordered and little-endian: Fortran-ordered files are transposed
// and big-endian files byte-swapped on read.
//
// Every error names the file (or the name given to readBuffer) and says what
// is wrong; no input, however malformed, makes the reader crash or read out of
// bounds.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_RUNTIME_NPY_H
#define TFM_RUNTIME_NPY_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mlir::tfm::npy {

/// Element types. Each but BF16 maps to one NumPy dtype (descr `<f4`, `<f8`,
/// `<f2`, `<i8`, `<i4`, `<i2`, `|i1`, `|u1`, `|b1`). BF16 has no NumPy dtype:
/// it exists only in memory and writeFile rejects it.
enum class DType { F32, F64, F16, BF16, I64, I32, I16, I8, U8, Bool };

/// NumPy's name for `dtype`: "float32", "float64", "float16", "bfloat16",
/// "int64", "int32", "int16", "int8", "uint8", "bool".
llvm::StringRef dtypeName(DType dtype);

/// The dtype dtypeName calls `name`, if any.
std::optional<DType> dtypeNamed(llvm::StringRef name);

/// Size of one element in bytes.
size_t dtypeSize(DType dtype);

/// A dense array.
struct Array {
  DType dtype = DType::F32;
  /// Extents, outermost first; empty for a scalar.
  std::vector<int64_t> shape;
  /// The elements in C (row-major) order, little-endian; holds exactly
  /// numElements() * dtypeSize(dtype) bytes.
  std::vector<uint8_t> data;

  /// Product of the extents: 1 for a scalar, 0 if any extent is 0 (even if
  /// the others are huge), INT64_MAX if the product overflows.
  int64_t numElements() const;
};

/// Reads the .npy file at `path`.
llvm::Expected<Array> readFile(llvm::StringRef path);

/// Parses the contents of a .npy file; `nameForErrors` prefixes every error
/// message (normally the file name).
llvm::Expected<Array> readBuffer(llvm::StringRef bytes,
                                 llvm::StringRef nameForErrors);

/// Writes `array` to `path` (replacing it). Fails, naming `path`, if the file
/// cannot be written, if the array is BF16, or if its data size does not
/// match its shape.
llvm::Error writeFile(llvm::StringRef path, const Array &array);

/// The bytes of the .npy file for `array`: format version 1.0, or 2.0 if the
/// header does not fit in 65535 bytes. Returns an empty string (never a valid
/// .npy file) if the array cannot be written (see writeFile, which says why).
std::string serialize(const Array &array);

/// True for the floating-point dtypes (f32, f64, f16, bf16).
bool isFloating(DType dtype);

/// Element `i` (row-major) of `array` converted to double.
double loadAsDouble(const Array &array, int64_t i);

/// Stores `value` as element `i` of `array`, converted (rounded to nearest
/// even for f16/bf16, truncated for integers) to the array's dtype.
void storeFromDouble(Array &array, int64_t i, double value);

/// "[2, 3, ?]": extents, negative ones (dynamic) as '?'.
std::string formatShape(llvm::ArrayRef<int64_t> shape);

} // namespace mlir::tfm::npy

#endif // TFM_RUNTIME_NPY_H
