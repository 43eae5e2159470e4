//===- NpyTest.cpp - tests for the .npy reader and writer -------*- C++ -*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "tfm/Runtime/Npy.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstring>
#include <random>

using namespace mlir::tfm::npy;

namespace {

constexpr DType kAllDTypes[] = {DType::F32, DType::F64, DType::F16, DType::BF16,
                                DType::I64, DType::I32, DType::I16, DType::I8,
                                DType::U8,  DType::Bool};

/// The error message of `result`, or "<success>".
std::string errorOf(llvm::Expected<Array> result) {
  if (result)
    return "<success>";
  return llvm::toString(result.takeError());
}

std::string errorOf(llvm::Error err) {
  if (!err)
    return "<success>";
  return llvm::toString(std::move(err));
}

/// A .npy file with the given version, header text (a '\n' is appended) and
/// payload.
std::string makeNpy(unsigned major, llvm::StringRef dict,
                    llvm::StringRef payload, unsigned minor = 0) {
  std::string header = dict.str() + "\n";
  std::string out = "\x93NUMPY";
  out.push_back(char(major));
  out.push_back(char(minor));
  unsigned width = major == 1 ? 2 : 4;
  for (unsigned i = 0; i < width; ++i)
    out.push_back(char((header.size() >> (8 * i)) & 0xff));
  return out + header + payload.str();
}

std::string v1(llvm::StringRef dict, llvm::StringRef payload = "") {
  return makeNpy(1, dict, payload);
}

template <typename T> std::string bytesOf(std::initializer_list<T> values) {
  std::string out(values.size() * sizeof(T), '\0');
  std::memcpy(out.data(), values.begin(), out.size());
  return out;
}

template <typename T> std::vector<T> valuesOf(const Array &array) {
  std::vector<T> out(array.data.size() / sizeof(T));
  std::memcpy(out.data(), array.data.data(), out.size() * sizeof(T));
  return out;
}

/// Byte-reverses each `size`-byte element of `bytes`.
std::string swapped(std::string bytes, size_t size) {
  for (size_t i = 0; i + size <= bytes.size(); i += size)
    std::reverse(bytes.begin() + i, bytes.begin() + i + size);
  return bytes;
}

Array makeArray(DType dtype, std::vector<int64_t> shape, unsigned seed = 1) {
  Array array;
  array.dtype = dtype;
  array.shape = std::move(shape);
  array.data.resize(array.numElements() * dtypeSize(dtype));
  std::mt19937 rng(seed);
  for (uint8_t &b : array.data)
    b = dtype == DType::Bool ? rng() & 1 : uint8_t(rng());
  return array;
}

/// A fresh path in a temporary directory, removed with the fixture.
class NpyFileTest : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("tfm-npy-test", dir));
  }
  void TearDown() override { llvm::sys::fs::remove_directories(dir); }
  std::string path(llvm::StringRef name) {
    llvm::SmallString<128> p(dir);
    llvm::sys::path::append(p, name);
    return std::string(p);
  }
  llvm::SmallString<128> dir;
};

} // namespace

//===----------------------------------------------------------------------===//
// DTypes and round trips
//===----------------------------------------------------------------------===//

TEST(NpyTest, DTypeNamesAndSizes) {
  EXPECT_EQ(dtypeName(DType::F32), "float32");
  EXPECT_EQ(dtypeName(DType::F64), "float64");
  EXPECT_EQ(dtypeName(DType::F16), "float16");
  EXPECT_EQ(dtypeName(DType::BF16), "bfloat16");
  EXPECT_EQ(dtypeName(DType::I64), "int64");
  EXPECT_EQ(dtypeName(DType::I32), "int32");
  EXPECT_EQ(dtypeName(DType::I16), "int16");
  EXPECT_EQ(dtypeName(DType::I8), "int8");
  EXPECT_EQ(dtypeName(DType::U8), "uint8");
  EXPECT_EQ(dtypeName(DType::Bool), "bool");
  size_t sizes[] = {4, 8, 2, 2, 8, 4, 2, 1, 1, 1};
  for (auto [dtype, size] : llvm::zip(kAllDTypes, sizes))
    EXPECT_EQ(dtypeSize(dtype), size) << dtypeName(dtype).str();
  for (DType dtype : kAllDTypes)
    EXPECT_EQ(dtypeNamed(dtypeName(dtype)), dtype) << dtypeName(dtype).str();
  EXPECT_EQ(dtypeNamed("float99"), std::nullopt);
  EXPECT_EQ(dtypeNamed("<f4"), std::nullopt);
}

TEST(NpyTest, NumElements) {
  Array a;
  EXPECT_EQ(a.numElements(), 1); // Scalar.
  a.shape = {2, 3, 4};
  EXPECT_EQ(a.numElements(), 24);
  a.shape = {2, 0, 4};
  EXPECT_EQ(a.numElements(), 0);
  a.shape = {int64_t(1) << 40, int64_t(1) << 40, 0};
  EXPECT_EQ(a.numElements(), 0);
  a.shape = {int64_t(1) << 40, int64_t(1) << 40};
  EXPECT_EQ(a.numElements(), INT64_MAX);
}

TEST(NpyTest, RoundTripEveryDTypeAndShape) {
  const std::vector<std::vector<int64_t>> shapes = {
      {}, {0}, {1}, {7}, {2, 3}, {3, 0}, {2, 0, 4}, {1, 1, 1, 5}, {4, 3, 2}};
  for (DType dtype : kAllDTypes) {
    if (dtype == DType::BF16)
      continue;
    for (const auto &shape : shapes) {
      SCOPED_TRACE(dtypeName(dtype).str() + " rank " +
                   std::to_string(shape.size()));
      Array array = makeArray(dtype, shape);
      std::string bytes = serialize(array);
      ASSERT_FALSE(bytes.empty());
      // Version 1.0, data 64-byte aligned, header ends in '\n'.
      EXPECT_EQ(bytes.substr(0, 8), std::string("\x93NUMPY\x01\x00", 8));
      size_t headerLength = uint8_t(bytes[8]) | (uint8_t(bytes[9]) << 8);
      EXPECT_EQ((10 + headerLength) % 64, 0u);
      EXPECT_EQ(bytes[10 + headerLength - 1], '\n');
      EXPECT_EQ(bytes.size(), 10 + headerLength + array.data.size());

      llvm::Expected<Array> back = readBuffer(bytes, "rt.npy");
      ASSERT_TRUE(bool(back)) << llvm::toString(back.takeError());
      EXPECT_EQ(back->dtype, dtype);
      EXPECT_EQ(back->shape, shape);
      EXPECT_EQ(back->data, array.data);
    }
  }
}

TEST(NpyTest, HeaderTextMatchesNumPy) {
  Array array = makeArray(DType::F32, {2, 3});
  std::string bytes = serialize(array);
  EXPECT_EQ(bytes.substr(10, 59),
            "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }");
  const std::pair<DType, const char *> descrs[] = {
      {DType::F32, "'<f4'"}, {DType::F64, "'<f8'"}, {DType::F16, "'<f2'"},
      {DType::I64, "'<i8'"}, {DType::I32, "'<i4'"}, {DType::I16, "'<i2'"},
      {DType::I8, "'|i1'"},  {DType::U8, "'|u1'"},  {DType::Bool, "'|b1'"}};
  for (auto [dtype, descr] : descrs)
    EXPECT_NE(serialize(makeArray(dtype, {3})).find(descr), std::string::npos)
        << descr;
  EXPECT_NE(serialize(makeArray(DType::I8, {5})).find("'shape': (5,)"),
            std::string::npos);
  EXPECT_NE(serialize(makeArray(DType::I8, {})).find("'shape': ()"),
            std::string::npos);
}

TEST(NpyTest, ScalarValue) {
  std::string bytes = v1("{'descr': '<f8', 'fortran_order': False, "
                         "'shape': (), }",
                         bytesOf<double>({2.5}));
  llvm::Expected<Array> a = readBuffer(bytes, "s.npy");
  ASSERT_TRUE(bool(a)) << llvm::toString(a.takeError());
  EXPECT_TRUE(a->shape.empty());
  EXPECT_EQ(a->numElements(), 1);
  EXPECT_EQ(valuesOf<double>(*a), std::vector<double>{2.5});
}

TEST(NpyTest, LargeHeaderUsesVersion2) {
  // 30000 unit dimensions make a header of about 90 KB.
  Array array = makeArray(DType::I16, std::vector<int64_t>(30000, 1));
  std::string bytes = serialize(array);
  ASSERT_FALSE(bytes.empty());
  EXPECT_EQ(bytes[6], 2);
  EXPECT_EQ(bytes[7], 0);
  uint32_t headerLength;
  std::memcpy(&headerLength, bytes.data() + 8, 4);
  EXPECT_GT(headerLength, 65535u);
  EXPECT_EQ((12 + headerLength) % 64, 0u);
  llvm::Expected<Array> back = readBuffer(bytes, "big.npy");
  ASSERT_TRUE(bool(back)) << llvm::toString(back.takeError());
  EXPECT_EQ(back->shape, array.shape);
  EXPECT_EQ(back->data, array.data);
}

TEST(NpyTest, ReadsVersions2And3) {
  std::string dict =
      "{'descr': '<i4', 'fortran_order': False, 'shape': (3,), }";
  std::string payload = bytesOf<int32_t>({1, -2, 3});
  for (unsigned major : {2u, 3u}) {
    llvm::Expected<Array> a =
        readBuffer(makeNpy(major, dict, payload), "v.npy");
    ASSERT_TRUE(bool(a)) << llvm::toString(a.takeError());
    EXPECT_EQ(valuesOf<int32_t>(*a), (std::vector<int32_t>{1, -2, 3}));
  }
  // Version 3.0 allows UTF-8 in the header (here in an extra-spaced dict).
  llvm::Expected<Array> a = readBuffer(
      makeNpy(3,
              "{ \"descr\" : \"<i4\" ,\n 'fortran_order':False,'shape':(3,)}",
              payload),
      "v3.npy");
  ASSERT_TRUE(bool(a)) << llvm::toString(a.takeError());
  EXPECT_EQ(a->shape, std::vector<int64_t>{3});
}

TEST(NpyTest, AcceptsPython2LongsAndNoTrailingComma) {
  llvm::Expected<Array> a =
      readBuffer(v1("{'descr': '|u1', 'fortran_order': False, "
                    "'shape': (2L, 1L)}",
                    "\x07\x09"),
                 "l.npy");
  ASSERT_TRUE(bool(a)) << llvm::toString(a.takeError());
  EXPECT_EQ(a->shape, (std::vector<int64_t>{2, 1}));
}

TEST_F(NpyFileTest, WriteAndReadFile) {
  Array array = makeArray(DType::F32, {4, 5});
  std::string p = path("a.npy");
  ASSERT_EQ(errorOf(writeFile(p, array)), "<success>");
  llvm::Expected<Array> back = readFile(p);
  ASSERT_TRUE(bool(back)) << llvm::toString(back.takeError());
  EXPECT_EQ(back->dtype, DType::F32);
  EXPECT_EQ(back->shape, array.shape);
  EXPECT_EQ(back->data, array.data);
}

//===----------------------------------------------------------------------===//
// Fortran order and byte order
//===----------------------------------------------------------------------===//

TEST(NpyTest, FortranOrderIsTransposedToC) {
  // 2x3 matrix [[0, 1, 2], [10, 11, 12]] stored column by column.
  std::string bytes = v1("{'descr': '<i4', 'fortran_order': True, "
                         "'shape': (2, 3), }",
                         bytesOf<int32_t>({0, 10, 1, 11, 2, 12}));
  llvm::Expected<Array> a = readBuffer(bytes, "f.npy");
  ASSERT_TRUE(bool(a)) << llvm::toString(a.takeError());
  EXPECT_EQ(a->shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(valuesOf<int32_t>(*a), (std::vector<int32_t>{0, 1, 2, 10, 11, 12}));
}

TEST(NpyTest, FortranOrderRank3) {
  // Element (i, j, k) has value 100i + 10j + k; Fortran order puts i fastest.
  const int64_t d0 = 2, d1 = 3, d2 = 4;
  std::vector<int16_t> fortran, c;
  for (int64_t k = 0; k < d2; ++k)
    for (int64_t j = 0; j < d1; ++j)
      for (int64_t i = 0; i < d0; ++i)
        fortran.push_back(int16_t(100 * i + 10 * j + k));
  for (int64_t i = 0; i < d0; ++i)
    for (int64_t j = 0; j < d1; ++j)
      for (int64_t k = 0; k < d2; ++k)
        c.push_back(int16_t(100 * i + 10 * j + k));
  std::string payload(reinterpret_cast<const char *>(fortran.data()),
                      fortran.size() * 2);
  llvm::Expected<Array> a = readBuffer(
      v1("{'descr': '<i2', 'fortran_order': True, 'shape': (2, 3, 4), }",
         payload),
      "f3.npy");
  ASSERT_TRUE(bool(a)) << llvm::toString(a.takeError());
  EXPECT_EQ(valuesOf<int16_t>(*a), c);

  // Rank 1, scalars and empty arrays are the same in both orders.
  for (const char *shape : {"(3,)", "()", "(0, 5)"}) {
    size_t n = std::string(shape) == "(3,)" ? 3 : std::string(shape) == "()";
    llvm::Expected<Array> b = readBuffer(
        v1(std::string("{'descr': '|u1', 'fortran_order': True, 'shape': ") +
               shape + ", }",
           std::string("\x01\x02\x03", n)),
        "f1.npy");
    ASSERT_TRUE(bool(b)) << llvm::toString(b.takeError());
    EXPECT_EQ(b->data.size(), n);
  }
}

TEST(NpyTest, BigEndianIsSwapped) {
  std::string f4 = swapped(bytesOf<float>({1.5f, -2.0f, 3.25f}), 4);
  llvm::Expected<Array> a = readBuffer(
      v1("{'descr': '>f4', 'fortran_order': False, 'shape': (3,), }", f4),
      "be.npy");
  ASSERT_TRUE(bool(a)) << llvm::toString(a.takeError());
  EXPECT_EQ(a->dtype, DType::F32);
  EXPECT_EQ(valuesOf<float>(*a), (std::vector<float>{1.5f, -2.0f, 3.25f}));

  std::string f8 = swapped(bytesOf<double>({1e100, -7.0}), 8);
  a = readBuffer(
      v1("{'descr': '>f8', 'fortran_order': False, 'shape': (2,), }", f8),
      "be8.npy");
  ASSERT_TRUE(bool(a)) << llvm::toString(a.takeError());
  EXPECT_EQ(valuesOf<double>(*a), (std::vector<double>{1e100, -7.0}));

  std::string i8 = swapped(bytesOf<int64_t>({0x0102030405060708, -1}), 8);
  a = readBuffer(
      v1("{'descr': '>i8', 'fortran_order': False, 'shape': (2,), }", i8),
      "bei8.npy");
  ASSERT_TRUE(bool(a)) << llvm::toString(a.takeError());
  EXPECT_EQ(valuesOf<int64_t>(*a),
            (std::vector<int64_t>{0x0102030405060708, -1}));

  // Big-endian and Fortran order together.
  std::string i2 = swapped(bytesOf<int16_t>({0, 10, 1, 11, 2, 258}), 2);
  a = readBuffer(
      v1("{'descr': '>i2', 'fortran_order': True, 'shape': (2, 3), }", i2),
      "bef.npy");
  ASSERT_TRUE(bool(a)) << llvm::toString(a.takeError());
  EXPECT_EQ(valuesOf<int16_t>(*a),
            (std::vector<int16_t>{0, 1, 2, 10, 11, 258}));
}

TEST(NpyTest, ByteOrderVariants) {
  // One-byte types take any byte-order character.
  for (const char *descr : {"|u1", "<u1", ">u1", "=u1", "u1"}) {
    llvm::Expected<Array> a =
        readBuffer(v1(std::string("{'descr': '") + descr +
                          "', 'fortran_order': False, 'shape': (2,), }",
                      "\x05\xff"),
                   "u1.npy");
    ASSERT_TRUE(bool(a)) << descr << ": " << llvm::toString(a.takeError());
    EXPECT_EQ(a->dtype, DType::U8);
    EXPECT_EQ(a->data, (std::vector<uint8_t>{5, 255}));
  }
  for (const char *descr : {"|i1", "<i1"}) {
    llvm::Expected<Array> a =
        readBuffer(v1(std::string("{'descr': '") + descr +
                          "', 'fortran_order': False, 'shape': (1,), }",
                      "\x80"),
                   "i1.npy");
    ASSERT_TRUE(bool(a)) << llvm::toString(a.takeError());
    EXPECT_EQ(a->dtype, DType::I8);
  }
  llvm::Expected<Array> b =
      readBuffer(v1("{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }",
                    std::string("\x01\x00", 2)),
                 "b.npy");
  ASSERT_TRUE(bool(b)) << llvm::toString(b.takeError());
  EXPECT_EQ(b->dtype, DType::Bool);
  // '=' is the reader's native order, as in NumPy (little-endian here).
  llvm::Expected<Array> n =
      readBuffer(v1("{'descr': '=i4', 'fortran_order': False, 'shape': (1,), }",
                    bytesOf<int32_t>({258})),
                 "n.npy");
  ASSERT_TRUE(bool(n)) << llvm::toString(n.takeError());
  EXPECT_EQ(valuesOf<int32_t>(*n), std::vector<int32_t>{258});
}

//===----------------------------------------------------------------------===//
// Errors
//===----------------------------------------------------------------------===//

#define EXPECT_ERROR(expr, substring)                                          \
  do {                                                                         \
    std::string message = errorOf(expr);                                       \
    EXPECT_NE(message.find(substring), std::string::npos)                      \
        << "message: " << message << "\nexpected to contain: " << substring;   \
  } while (false)

static const char *const kF32x3 =
    "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }";

TEST(NpyTest, ErrorBadMagic) {
  EXPECT_ERROR(readBuffer("PK\x03\x04 this is a zip", "x.npy"),
               "x.npy: not a .npy file (bad magic)");
  EXPECT_ERROR(readBuffer("\x93NUMP", "x.npy"),
               "x.npy: not a .npy file (bad magic)");
  EXPECT_ERROR(readBuffer("", "x.npy"), "x.npy: not a .npy file (empty)");
}

TEST(NpyTest, ErrorTruncated) {
  // Shape (4, 6) float32 is 96 bytes; give 40.
  EXPECT_ERROR(readBuffer(v1("{'descr': '<f4', 'fortran_order': False, "
                             "'shape': (4, 6), }",
                             std::string(40, '\0')),
                          "x.npy"),
               "x.npy: truncated: header says 24 elements of float32 (96 "
               "bytes) but 40 bytes follow");
  EXPECT_ERROR(readBuffer(std::string("\x93NUMPY\x01", 7), "x.npy"),
               "x.npy: truncated");
  EXPECT_ERROR(readBuffer(std::string("\x93NUMPY\x01\x00\x50", 9), "x.npy"),
               "x.npy: truncated");
  EXPECT_ERROR(
      readBuffer(std::string("\x93NUMPY\x01\x00\x50\x00{'descr'", 17), "x.npy"),
      "x.npy: truncated: header length is 80 bytes but 7 bytes follow");
  EXPECT_ERROR(readBuffer(v1(kF32x3, std::string(16, '\0')), "x.npy"),
               "x.npy: unexpected trailing data: header says 3 elements of "
               "float32 (12 bytes) but 16 bytes follow");
}

TEST(NpyTest, ErrorVersion) {
  EXPECT_ERROR(readBuffer(makeNpy(4, kF32x3, std::string(12, '\0')), "x.npy"),
               "x.npy: unsupported .npy format version 4.0");
  EXPECT_ERROR(
      readBuffer(makeNpy(1, kF32x3, std::string(12, '\0'), 1), "x.npy"),
      "x.npy: unsupported .npy format version 1.1");
  EXPECT_ERROR(readBuffer(makeNpy(0, kF32x3, std::string(12, '\0')), "x.npy"),
               "unsupported .npy format version 0.0");
}

TEST(NpyTest, ErrorUnsupportedDType) {
  EXPECT_ERROR(readBuffer(v1("{'descr': '<c8', 'fortran_order': False, "
                             "'shape': (1,), }",
                             std::string(8, '\0')),
                          "x.npy"),
               "x.npy: unsupported dtype '<c8'");
  for (const char *descr : {"<u2", "<U5", "|S3", "<M8[ns]", "<f16", "", "<"})
    EXPECT_ERROR(readBuffer(v1(std::string("{'descr': '") + descr +
                               "', 'fortran_order': False, 'shape': (1,), }"),
                            "x.npy"),
                 std::string("x.npy: unsupported dtype '") + descr + "'");
  EXPECT_ERROR(readBuffer(v1("{'descr': '|f4', 'fortran_order': False, "
                             "'shape': (1,), }",
                             std::string(4, '\0')),
                          "x.npy"),
               "x.npy: unsupported dtype '|f4' (byte order '|' is ambiguous");
}

TEST(NpyTest, ErrorObjectAndStructuredArrays) {
  EXPECT_ERROR(readBuffer(v1("{'descr': '|O', 'fortran_order': False, "
                             "'shape': (2,), }",
                             std::string(16, '\0')),
                          "x.npy"),
               "x.npy: object arrays are not supported (dtype '|O')");
  EXPECT_ERROR(readBuffer(v1("{'descr': [('a', '<f4'), ('b', '<i8')], "
                             "'fortran_order': False, 'shape': (2,), }",
                             std::string(24, '\0')),
                          "x.npy"),
               "x.npy: structured arrays are not supported");
}

TEST(NpyTest, ErrorMalformedHeader) {
  struct Case {
    const char *dict;
    const char *message;
  } cases[] = {
      {"", "x.npy: malformed header: unexpected end of header"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (3,), ",
       "x.npy: malformed header: unexpected end of header"},
      {"{'descr': '<f4, 'fortran_order': False, 'shape': (3,), }",
       "x.npy: malformed header"},
      {"{'descr': '<f4' 'fortran_order': False, 'shape': (3,)}",
       "x.npy: malformed header: expected ',' or '}'"},
      {"{'descr' '<f4', 'fortran_order': False, 'shape': (3,)}",
       "x.npy: malformed header: expected ':' after a dictionary key"},
      {"['descr', '<f4']", "x.npy: malformed header: not a dictionary"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (3,)} junk",
       "x.npy: malformed header: unexpected text after the dictionary"},
      {"{'descr': '<f4', 'fortran_order': False}",
       "x.npy: malformed header: no 'shape' key"},
      {"{'fortran_order': False, 'shape': (3,)}",
       "x.npy: malformed header: no 'descr' key"},
      {"{'descr': '<f4', 'shape': (3,)}",
       "x.npy: malformed header: no 'fortran_order' key"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (3,), 'x': 1}",
       "x.npy: malformed header: unexpected key 'x'"},
      {"{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, "
       "'shape': (3,)}",
       "x.npy: malformed header: duplicate key 'descr'"},
      {"{1: '<f4', 'fortran_order': False, 'shape': (3,)}",
       "x.npy: malformed header: a key is not a string"},
      {"{'descr': 4, 'fortran_order': False, 'shape': (3,)}",
       "x.npy: malformed header: 'descr' is not a string"},
      {"{'descr': '<f4', 'fortran_order': 0, 'shape': (3,)}",
       "x.npy: malformed header: 'fortran_order' is not True or False"},
      {"{'descr': '<f4', 'fortran_order': Maybe, 'shape': (3,)}",
       "x.npy: malformed header: unexpected name \"Maybe\""},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': 3}",
       "x.npy: malformed header: 'shape' is not a tuple"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (3)}",
       "x.npy: malformed header: 'shape' is not a tuple"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': [3]}",
       "x.npy: malformed header: 'shape' is not a tuple"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (3, 'a')}",
       "x.npy: malformed header: 'shape' has a non-integer entry"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (3, None)}",
       "x.npy: malformed header: 'shape' has a non-integer entry"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (3.5,)}",
       "x.npy: malformed header: malformed integer"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (3 4)}",
       "x.npy: malformed header: expected ',' or ')'"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (-,)}",
       "x.npy: malformed header: expected digits"},
      {"{'descr': '<f4', 'fortran_order': False, "
       "'shape': (99999999999999999999,)}",
       "x.npy: malformed header: integer out of range"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }\x01",
       "x.npy: malformed header: unexpected text after the dictionary"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': @}",
       "x.npy: malformed header: unexpected character \"@\""},
  };
  for (const Case &c : cases)
    EXPECT_ERROR(readBuffer(v1(c.dict, std::string(12, '\0')), "x.npy"),
                 c.message);

  // Deep nesting is refused, not recursed into.
  std::string deep = "{'descr': '<f4', 'fortran_order': False, 'shape': " +
                     std::string(100000, '(') + "}";
  EXPECT_ERROR(readBuffer(makeNpy(2, deep, ""), "x.npy"),
               "x.npy: malformed header: nesting too deep");
}

TEST(NpyTest, ErrorBadShape) {
  EXPECT_ERROR(readBuffer(v1("{'descr': '<f4', 'fortran_order': False, "
                             "'shape': (-3, 4), }"),
                          "x.npy"),
               "x.npy: negative dimension -3 in shape (-3, 4)");
  EXPECT_ERROR(readBuffer(v1("{'descr': '<f4', 'fortran_order': False, "
                             "'shape': (4294967296, 4294967296), }"),
                          "x.npy"),
               "x.npy: shape (4294967296, 4294967296) is too large");
  EXPECT_ERROR(readBuffer(v1("{'descr': '<f8', 'fortran_order': False, "
                             "'shape': (2305843009213693952,), }"),
                          "x.npy"),
               "x.npy: shape (2305843009213693952,) is too large");
  // A huge shape with a zero extent is a valid empty array.
  llvm::Expected<Array> a = readBuffer(v1("{'descr': '<f4', 'fortran_order': "
                                          "False, 'shape': (4294967296, "
                                          "4294967296, 0), }"),
                                       "x.npy");
  ASSERT_TRUE(bool(a)) << llvm::toString(a.takeError());
  EXPECT_EQ(a->numElements(), 0);
}

TEST(NpyTest, ErrorCannotOpen) {
  EXPECT_ERROR(readFile("/nonexistent-dir/x.npy"),
               "/nonexistent-dir/x.npy: cannot open: No such file or "
               "directory");
}

TEST_F(NpyFileTest, ErrorWrite) {
  Array bf16 = makeArray(DType::BF16, {2});
  std::string p = path("bf16.npy");
  EXPECT_ERROR(writeFile(p, bf16),
               p + ": bfloat16 has no .npy dtype; convert to float32");
  EXPECT_FALSE(llvm::sys::fs::exists(p));
  EXPECT_TRUE(serialize(bf16).empty());

  Array wrongSize = makeArray(DType::F32, {2, 3});
  wrongSize.data.resize(20);
  EXPECT_ERROR(writeFile(p, wrongSize),
               p + ": array data is 20 bytes but shape (2, 3) of float32 needs "
                   "24");
  EXPECT_TRUE(serialize(wrongSize).empty());

  Array negative = makeArray(DType::F32, {});
  negative.shape = {-1};
  EXPECT_ERROR(writeFile(p, negative), "negative dimension -1");

  EXPECT_ERROR(writeFile(path("no/such/dir/a.npy"), makeArray(DType::U8, {1})),
               "no/such/dir/a.npy: cannot open for writing: No such file or "
               "directory");
}

//===----------------------------------------------------------------------===//
// Robustness: no input crashes the reader
//===----------------------------------------------------------------------===//

TEST(NpyTest, EveryTruncationIsAnError) {
  std::string bytes = serialize(makeArray(DType::I32, {3, 5}));
  for (size_t n = 0; n < bytes.size(); ++n)
    EXPECT_NE(errorOf(readBuffer(bytes.substr(0, n), "t.npy")), "<success>")
        << "prefix of " << n << " bytes accepted";
}

TEST(NpyTest, RandomMutationsDoNotCrash) {
  std::string dict = "{'descr': '>i2', 'fortran_order': True, "
                     "'shape': (2, 3, 2), }";
  std::string valid = v1(dict, std::string(24, '\x11'));
  std::mt19937 rng(12345);
  const char interesting[] = "(){}[]:,'\"0123456789-LTF<>|=ifub \n\x00\xff";
  int accepted = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    std::string bytes = valid;
    int edits = 1 + rng() % 4;
    for (int e = 0; e < edits; ++e) {
      size_t pos = rng() % bytes.size();
      switch (rng() % 4) {
      case 0:
        bytes[pos] = char(rng());
        break;
      case 1:
        bytes[pos] = interesting[rng() % (sizeof(interesting) - 1)];
        break;
      case 2:
        bytes.erase(pos, 1 + rng() % 3);
        break;
      case 3:
        bytes.insert(pos, 1, interesting[rng() % (sizeof(interesting) - 1)]);
        break;
      }
      if (bytes.empty())
        bytes = "x";
    }
    llvm::Expected<Array> a = readBuffer(bytes, "m.npy");
    if (a) {
      ++accepted;
      EXPECT_EQ(int64_t(a->data.size()),
                a->numElements() * int64_t(dtypeSize(a->dtype)));
    } else {
      std::string message = llvm::toString(a.takeError());
      EXPECT_EQ(message.rfind("m.npy: ", 0), 0u) << message;
    }
  }
  EXPECT_GT(accepted, 0);
}

TEST(NpyElementAccess, RoundTripsEveryDType) {
  for (DType t : {DType::F32, DType::F64, DType::F16, DType::BF16, DType::I64,
                  DType::I32, DType::I16, DType::I8, DType::U8, DType::Bool}) {
    Array a;
    a.dtype = t;
    a.shape = {3};
    a.data.resize(3 * dtypeSize(t));
    const double values[] = {0.0, 1.0, 3.0};
    for (int i = 0; i < 3; ++i)
      storeFromDouble(a, i, values[i]);
    for (int i = 0; i < 3; ++i)
      EXPECT_EQ(loadAsDouble(a, i), t == DType::Bool ? (values[i] != 0) : values[i])
          << dtypeName(t).str() << " element " << i;
  }
}

TEST(NpyElementAccess, HalfPrecisionRounding) {
  Array h;
  h.dtype = DType::F16;
  h.shape = {4};
  h.data.resize(8);
  storeFromDouble(h, 0, 1.0 / 3.0);
  storeFromDouble(h, 1, 65504.0);   // largest finite f16
  storeFromDouble(h, 2, 1e6);       // overflows to inf
  storeFromDouble(h, 3, 5.960464477539063e-08); // smallest subnormal
  EXPECT_NEAR(loadAsDouble(h, 0), 1.0 / 3.0, 1e-3);
  EXPECT_EQ(loadAsDouble(h, 1), 65504.0);
  EXPECT_TRUE(std::isinf(loadAsDouble(h, 2)));
  EXPECT_EQ(loadAsDouble(h, 3), 5.960464477539063e-08);
  EXPECT_TRUE(isFloating(DType::BF16));
  EXPECT_FALSE(isFloating(DType::I64));
}

TEST(NpyElementAccess, FormatShape) {
  EXPECT_EQ(formatShape({}), "[]");
  EXPECT_EQ(formatShape({2, -1, 768}), "[2, ?, 768]");
}
