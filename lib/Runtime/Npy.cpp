//===- Npy.cpp - NumPy .npy reader and writer -------------------*- C++ -*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The format (numpy.lib.format): the magic "\x93NUMPY", a major and a minor
// version byte, the header length (2 bytes little-endian in version 1.0, 4 in
// 2.0 and 3.0), then the header: a Python dict literal such as
//   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
// padded with spaces and ended by '\n', and finally the raw elements.
//
// The reader treats its input as hostile: every length is checked against the
// bytes actually there before it is used, arithmetic on sizes is checked for
// overflow, and the header is parsed by a small bounded-depth parser for the
// Python literal subset NumPy writes.
//
//===----------------------------------------------------------------------===//

#include "tfm/Runtime/Npy.h"

#include "Float16.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SwapByteOrder.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cstring>

using namespace llvm;
using mlir::tfm::runtime::bf16ToFloat;
using mlir::tfm::runtime::floatToBf16;
using mlir::tfm::runtime::floatToHalf;
using mlir::tfm::runtime::halfToFloat;

namespace mlir::tfm::npy {

//===----------------------------------------------------------------------===//
// DType and Array
//===----------------------------------------------------------------------===//

StringRef dtypeName(DType dtype) {
  switch (dtype) {
  case DType::F32:
    return "float32";
  case DType::F64:
    return "float64";
  case DType::F16:
    return "float16";
  case DType::BF16:
    return "bfloat16";
  case DType::I64:
    return "int64";
  case DType::I32:
    return "int32";
  case DType::I16:
    return "int16";
  case DType::I8:
    return "int8";
  case DType::U8:
    return "uint8";
  case DType::Bool:
    return "bool";
  }
  return "<invalid dtype>";
}

std::optional<DType> dtypeNamed(StringRef name) {
  for (DType d : {DType::F32, DType::F64, DType::F16, DType::BF16, DType::I64,
                  DType::I32, DType::I16, DType::I8, DType::U8, DType::Bool})
    if (dtypeName(d) == name)
      return d;
  return std::nullopt;
}

size_t dtypeSize(DType dtype) {
  switch (dtype) {
  case DType::F64:
  case DType::I64:
    return 8;
  case DType::F32:
  case DType::I32:
    return 4;
  case DType::F16:
  case DType::BF16:
  case DType::I16:
    return 2;
  case DType::I8:
  case DType::U8:
  case DType::Bool:
    return 1;
  }
  return 0;
}

int64_t Array::numElements() const {
  if (llvm::is_contained(shape, 0))
    return 0;
  int64_t n = 1;
  for (int64_t d : shape)
    if (MulOverflow(n, d, n))
      return INT64_MAX;
  return n;
}

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

namespace {

/// The NumPy type strings this library knows, without their byte-order
/// character.
struct DescrEntry {
  StringRef typeStr;
  DType dtype;
};

} // namespace

static constexpr DescrEntry kDescrTable[] = {
    {"f4", DType::F32}, {"f8", DType::F64}, {"f2", DType::F16},
    {"i8", DType::I64}, {"i4", DType::I32}, {"i2", DType::I16},
    {"i1", DType::I8},  {"u1", DType::U8},  {"b1", DType::Bool},
};

static Error makeError(StringRef name, const Twine &message) {
  return createStringError(inconvertibleErrorCode(),
                           (name + ": " + message).str());
}

/// A shape as the Python tuple .npy headers hold: "(3,)", "(2, 4)".
static std::string pythonTuple(ArrayRef<int64_t> shape) {
  std::string s = "(";
  for (auto [i, d] : llvm::enumerate(shape)) {
    if (i)
      s += ", ";
    s += std::to_string(d);
  }
  if (shape.size() == 1)
    s += ",";
  s += ")";
  return s;
}

/// `text` quoted for an error message: non-printable bytes escaped, long text
/// cut short.
static std::string quoteForMessage(StringRef text, size_t maxLen = 96) {
  std::string out = "\"";
  raw_string_ostream os(out);
  size_t n = std::min(text.size(), maxLen);
  for (char c : text.take_front(n)) {
    unsigned char u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\')
      os << '\\' << c;
    else if (c == '\n')
      os << "\\n";
    else if (u >= 0x20 && u < 0x7f)
      os << c;
    else
      os << "\\x" << format_hex_no_prefix(u, 2);
  }
  if (n < text.size())
    os << "...";
  os << '"';
  return out;
}

static uint64_t readLE(StringRef bytes, size_t pos, unsigned width) {
  uint64_t v = 0;
  for (unsigned i = 0; i < width; ++i)
    v |= uint64_t(static_cast<unsigned char>(bytes[pos + i])) << (8 * i);
  return v;
}

//===----------------------------------------------------------------------===//
// Header parsing: the Python literal subset NumPy writes
//===----------------------------------------------------------------------===//

namespace {

/// A parsed Python literal.
struct PyValue {
  enum Kind { Str, Int, Bool, None, Tuple, List, Dict } kind = None;
  std::string str;
  int64_t integer = 0;
  bool boolean = false;
  /// Elements of a tuple or list; for a dict, keys and values alternate.
  std::vector<PyValue> items;
};

/// Recursive-descent parser for Python literals: strings, integers, True,
/// False, None, tuples, lists and dicts. Nesting depth is bounded so that
/// hostile input cannot exhaust the stack.
class LiteralParser {
public:
  explicit LiteralParser(StringRef text) : text(text) {}

  /// Parses a single literal followed only by whitespace.
  bool parseAll(PyValue &out) {
    if (!parseValue(out, 0))
      return false;
    skipSpace();
    if (pos != text.size())
      return fail("unexpected text after the dictionary");
    return true;
  }

  const std::string &getError() const { return error; }

private:
  static constexpr unsigned kMaxDepth = 32;

  bool fail(const Twine &message) {
    error = (message + " at offset " + Twine(pos)).str();
    return false;
  }

  void skipSpace() {
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t' ||
                                 text[pos] == '\n' || text[pos] == '\r'))
      ++pos;
  }

  bool consume(char c) {
    skipSpace();
    if (pos < text.size() && text[pos] == c) {
      ++pos;
      return true;
    }
    return false;
  }

  bool parseValue(PyValue &out, unsigned depth) {
    if (depth > kMaxDepth)
      return fail("nesting too deep");
    skipSpace();
    if (pos >= text.size())
      return fail("unexpected end of header");
    char c = text[pos];
    if (c == '\'' || c == '"')
      return parseString(out);
    if (c == '-' || c == '+' || isDigit(c))
      return parseInt(out);
    if (c == '(')
      return parseSequence(out, ')', PyValue::Tuple, depth);
    if (c == '[')
      return parseSequence(out, ']', PyValue::List, depth);
    if (c == '{')
      return parseDict(out, depth);
    if (isAlpha(c))
      return parseName(out);
    return fail(Twine("unexpected character ") +
                quoteForMessage(text.substr(pos, 1)));
  }

  bool parseString(PyValue &out) {
    char quote = text[pos++];
    out.kind = PyValue::Str;
    out.str.clear();
    while (pos < text.size()) {
      char c = text[pos++];
      if (c == quote)
        return true;
      if (c == '\n')
        break;
      if (c == '\\') {
        if (pos >= text.size())
          break;
        c = text[pos++];
      }
      out.str.push_back(c);
    }
    return fail("unterminated string");
  }

  bool parseInt(PyValue &out) {
    bool negative = false;
    if (text[pos] == '-' || text[pos] == '+')
      negative = text[pos++] == '-';
    if (pos >= text.size() || !isDigit(text[pos]))
      return fail("expected digits");
    uint64_t magnitude = 0;
    bool overflow = false;
    while (pos < text.size() && isDigit(text[pos])) {
      unsigned digit = text[pos++] - '0';
      if (magnitude > (uint64_t(INT64_MAX) - digit) / 10)
        overflow = true;
      else
        magnitude = magnitude * 10 + digit;
    }
    // Python 2 long suffix, as in old NumPy headers: (3L, 4L).
    if (pos < text.size() && (text[pos] == 'L' || text[pos] == 'l'))
      ++pos;
    if (pos < text.size() && (isAlnum(text[pos]) || text[pos] == '.'))
      return fail("malformed integer");
    if (overflow)
      return fail("integer out of range");
    out.kind = PyValue::Int;
    out.integer = negative ? -int64_t(magnitude) : int64_t(magnitude);
    return true;
  }

  bool parseName(PyValue &out) {
    size_t start = pos;
    while (pos < text.size() && (isAlnum(text[pos]) || text[pos] == '_'))
      ++pos;
    StringRef name = text.slice(start, pos);
    if (name == "True" || name == "False") {
      out.kind = PyValue::Bool;
      out.boolean = name == "True";
      return true;
    }
    if (name == "None") {
      out.kind = PyValue::None;
      return true;
    }
    pos = start;
    return fail("unexpected name " + quoteForMessage(name));
  }

  /// Tuples and lists. As in Python, "(x)" without a comma is just x.
  bool parseSequence(PyValue &out, char close, PyValue::Kind kind,
                     unsigned depth) {
    ++pos; // The opening bracket.
    std::vector<PyValue> items;
    bool sawComma = false;
    while (true) {
      if (consume(close))
        break;
      PyValue item;
      if (!parseValue(item, depth + 1))
        return false;
      items.push_back(std::move(item));
      if (consume(close))
        break;
      if (!consume(','))
        return fail(Twine("expected ',' or '") + Twine(close) + "'");
      sawComma = true;
    }
    if (kind == PyValue::Tuple && items.size() == 1 && !sawComma) {
      out = std::move(items.front());
      return true;
    }
    out.kind = kind;
    out.items = std::move(items);
    return true;
  }

  bool parseDict(PyValue &out, unsigned depth) {
    ++pos; // '{'
    out.kind = PyValue::Dict;
    out.items.clear();
    while (true) {
      if (consume('}'))
        return true;
      PyValue key, value;
      if (!parseValue(key, depth + 1))
        return false;
      if (!consume(':'))
        return fail("expected ':' after a dictionary key");
      if (!parseValue(value, depth + 1))
        return false;
      out.items.push_back(std::move(key));
      out.items.push_back(std::move(value));
      if (consume('}'))
        return true;
      if (!consume(','))
        return fail("expected ',' or '}'");
    }
  }

  StringRef text;
  size_t pos = 0;
  std::string error;
};

/// What the header says about the array.
struct HeaderInfo {
  DType dtype = DType::F32;
  bool bigEndian = false;
  bool fortranOrder = false;
  std::vector<int64_t> shape;
};

} // namespace

/// Maps a NumPy type string such as "<f4" to a DType.
static Error parseDescr(StringRef name, StringRef descr, HeaderInfo &info) {
  auto unsupported = [&](const Twine &why) {
    return makeError(name, "unsupported dtype '" + descr + "'" + why);
  };
  StringRef typeStr = descr;
  char order = '=';
  if (!typeStr.empty() && StringRef("<>=|").contains(typeStr.front())) {
    order = typeStr.front();
    typeStr = typeStr.drop_front();
  }
  if (typeStr == "O" || typeStr == "O8" || typeStr == "O4")
    return makeError(name,
                     "object arrays are not supported (dtype '" + descr + "')");
  const DescrEntry *entry = llvm::find_if(
      kDescrTable, [&](const DescrEntry &e) { return e.typeStr == typeStr; });
  if (entry == std::end(kDescrTable))
    return unsupported("");
  info.dtype = entry->dtype;
  size_t size = dtypeSize(entry->dtype);
  if (size == 1) {
    info.bigEndian = false;
    return Error::success();
  }
  switch (order) {
  case '<':
    info.bigEndian = false;
    break;
  case '>':
    info.bigEndian = true;
    break;
  case '=': // Native byte order, as NumPy reads it.
    info.bigEndian = !sys::IsLittleEndianHost;
    break;
  default:
    return unsupported(" (byte order '|' is ambiguous for a " + Twine(size) +
                       "-byte type)");
  }
  return Error::success();
}

static Error parseHeader(StringRef name, StringRef header, HeaderInfo &info) {
  PyValue dict;
  LiteralParser parser(header);
  if (!parser.parseAll(dict))
    return makeError(name, "malformed header: " + parser.getError() + " in " +
                               quoteForMessage(header));
  if (dict.kind != PyValue::Dict)
    return makeError(name, "malformed header: not a dictionary: " +
                               quoteForMessage(header));

  const PyValue *descr = nullptr, *fortran = nullptr, *shape = nullptr;
  for (size_t i = 0; i + 1 < dict.items.size(); i += 2) {
    const PyValue &key = dict.items[i];
    if (key.kind != PyValue::Str)
      return makeError(name, "malformed header: a key is not a string in " +
                                 quoteForMessage(header));
    const PyValue **slot = key.str == "descr"           ? &descr
                           : key.str == "fortran_order" ? &fortran
                           : key.str == "shape"         ? &shape
                                                        : nullptr;
    if (!slot)
      return makeError(name, "malformed header: unexpected key '" + key.str +
                                 "' in " + quoteForMessage(header));
    if (*slot)
      return makeError(name, "malformed header: duplicate key '" + key.str +
                                 "' in " + quoteForMessage(header));
    *slot = &dict.items[i + 1];
  }
  for (auto [value, key] :
       {std::pair(descr, "descr"), std::pair(fortran, "fortran_order"),
        std::pair(shape, "shape")})
    if (!value)
      return makeError(name, Twine("malformed header: no '") + key +
                                 "' key in " + quoteForMessage(header));

  if (descr->kind == PyValue::List)
    return makeError(name, "structured arrays are not supported");
  if (descr->kind != PyValue::Str)
    return makeError(name, "malformed header: 'descr' is not a string in " +
                               quoteForMessage(header));
  if (Error err = parseDescr(name, descr->str, info))
    return err;

  if (fortran->kind != PyValue::Bool)
    return makeError(name,
                     "malformed header: 'fortran_order' is not True or False "
                     "in " +
                         quoteForMessage(header));
  info.fortranOrder = fortran->boolean;

  if (shape->kind != PyValue::Tuple)
    return makeError(name, "malformed header: 'shape' is not a tuple in " +
                               quoteForMessage(header));
  info.shape.clear();
  for (const PyValue &dim : shape->items) {
    if (dim.kind != PyValue::Int)
      return makeError(name,
                       "malformed header: 'shape' has a non-integer entry in " +
                           quoteForMessage(header));
    info.shape.push_back(dim.integer);
  }
  for (int64_t d : info.shape)
    if (d < 0)
      return makeError(name, "negative dimension " + Twine(d) + " in shape " +
                                 pythonTuple(info.shape));
  return Error::success();
}

/// Number of elements and bytes of an array, or an error if they overflow.
static Error computeSize(StringRef name, ArrayRef<int64_t> shape, DType dtype,
                         int64_t &numElements, int64_t &numBytes) {
  numElements = 1;
  if (llvm::is_contained(shape, 0)) {
    numElements = 0;
  } else {
    for (int64_t d : shape)
      if (MulOverflow(numElements, d, numElements))
        return makeError(name, "shape " + pythonTuple(shape) + " is too large");
  }
  if (MulOverflow(numElements, int64_t(dtypeSize(dtype)), numBytes))
    return makeError(name, "shape " + pythonTuple(shape) + " is too large");
  return Error::success();
}

/// Reorders `data` (elements of `itemSize` bytes in Fortran order) into C
/// order.
static void fortranToC(std::vector<uint8_t> &data, ArrayRef<int64_t> shape,
                       size_t itemSize, int64_t numElements) {
  size_t rank = shape.size();
  if (rank < 2 || numElements <= 1)
    return;
  // Fortran strides, in elements.
  std::vector<int64_t> strides(rank);
  int64_t stride = 1;
  for (size_t d = 0; d < rank; ++d) {
    strides[d] = stride;
    stride *= shape[d];
  }
  std::vector<uint8_t> out(data.size());
  std::vector<int64_t> index(rank, 0);
  int64_t src = 0;
  uint8_t *dst = out.data();
  for (int64_t i = 0; i < numElements; ++i) {
    std::memcpy(dst, data.data() + src * itemSize, itemSize);
    dst += itemSize;
    // Advance the C-order odometer, last dimension fastest.
    for (size_t d = rank; d-- > 0;) {
      src += strides[d];
      if (++index[d] < shape[d])
        break;
      src -= strides[d] * shape[d];
      index[d] = 0;
    }
  }
  data.swap(out);
}

//===----------------------------------------------------------------------===//
// Reading
//===----------------------------------------------------------------------===//

static constexpr StringLiteral kMagic("\x93NUMPY");

Expected<Array> readBuffer(StringRef bytes, StringRef name) {
  if (bytes.empty())
    return makeError(name, "not a .npy file (empty)");
  if (!bytes.starts_with(kMagic))
    return makeError(name, "not a .npy file (bad magic)");
  if (bytes.size() < kMagic.size() + 2)
    return makeError(name, "truncated: no format version after the magic");
  unsigned major = static_cast<unsigned char>(bytes[6]);
  unsigned minor = static_cast<unsigned char>(bytes[7]);
  if (major < 1 || major > 3 || minor != 0)
    return makeError(name, "unsupported .npy format version " + Twine(major) +
                               "." + Twine(minor) +
                               " (supported: 1.0, 2.0, 3.0)");
  unsigned lengthWidth = major == 1 ? 2 : 4;
  size_t headerStart = 8 + lengthWidth;
  if (bytes.size() < headerStart)
    return makeError(name, "truncated: no header length");
  uint64_t headerLength = readLE(bytes, 8, lengthWidth);
  if (headerLength > bytes.size() - headerStart)
    return makeError(name, "truncated: header length is " +
                               Twine(headerLength) + " bytes but " +
                               Twine(bytes.size() - headerStart) +
                               " bytes follow");
  StringRef header = bytes.substr(headerStart, headerLength);

  HeaderInfo info;
  if (Error err = parseHeader(name, header, info))
    return std::move(err);

  int64_t numElements = 0, numBytes = 0;
  if (Error err =
          computeSize(name, info.shape, info.dtype, numElements, numBytes))
    return std::move(err);

  StringRef payload = bytes.substr(headerStart + headerLength);
  if (uint64_t(numBytes) != payload.size()) {
    StringRef what = payload.size() < uint64_t(numBytes)
                         ? "truncated: header says "
                         : "unexpected trailing data: header says ";
    return makeError(name, what + Twine(numElements) + " elements of " +
                               dtypeName(info.dtype) + " (" + Twine(numBytes) +
                               " bytes) but " + Twine(payload.size()) +
                               " bytes follow");
  }

  Array array;
  array.dtype = info.dtype;
  array.shape = std::move(info.shape);
  array.data.assign(payload.bytes_begin(), payload.bytes_end());

  size_t itemSize = dtypeSize(array.dtype);
  if (info.bigEndian && itemSize > 1)
    for (size_t i = 0; i + itemSize <= array.data.size(); i += itemSize)
      std::reverse(array.data.begin() + i, array.data.begin() + i + itemSize);
  if (info.fortranOrder)
    fortranToC(array.data, array.shape, itemSize, numElements);
  return array;
}

Expected<Array> readFile(StringRef path) {
  ErrorOr<std::unique_ptr<MemoryBuffer>> buffer =
      MemoryBuffer::getFile(path, /*IsText=*/false,
                            /*RequiresNullTerminator=*/false);
  if (std::error_code ec = buffer.getError())
    return makeError(path, "cannot open: " + ec.message());
  return readBuffer((*buffer)->getBuffer(), path);
}

//===----------------------------------------------------------------------===//
// Writing
//===----------------------------------------------------------------------===//

static StringRef descrFor(DType dtype) {
  switch (dtype) {
  case DType::F32:
    return "<f4";
  case DType::F64:
    return "<f8";
  case DType::F16:
    return "<f2";
  case DType::I64:
    return "<i8";
  case DType::I32:
    return "<i4";
  case DType::I16:
    return "<i2";
  case DType::I8:
    return "|i1";
  case DType::U8:
    return "|u1";
  case DType::Bool:
    return "|b1";
  case DType::BF16:
    break;
  }
  return "";
}

/// Checks that `array` can be written as a .npy file.
static Error checkWritable(StringRef name, const Array &array) {
  if (array.dtype == DType::BF16)
    return makeError(name, "bfloat16 has no .npy dtype; convert to float32");
  if (descrFor(array.dtype).empty())
    return makeError(name, "invalid dtype");
  for (int64_t d : array.shape)
    if (d < 0)
      return makeError(name, "negative dimension " + Twine(d) + " in shape " +
                                 pythonTuple(array.shape));
  int64_t numElements = 0, numBytes = 0;
  if (Error err =
          computeSize(name, array.shape, array.dtype, numElements, numBytes))
    return err;
  if (uint64_t(numBytes) != array.data.size())
    return makeError(name, "array data is " + Twine(array.data.size()) +
                               " bytes but shape " + pythonTuple(array.shape) +
                               " of " + dtypeName(array.dtype) + " needs " +
                               Twine(numBytes));
  return Error::success();
}

/// The header dict padded with spaces and ended with '\n' so that the data
/// starts on a 64-byte boundary after a preamble of `preambleSize` bytes.
static std::string paddedHeader(StringRef dict, size_t preambleSize) {
  std::string header = dict.str();
  size_t total = preambleSize + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header.push_back('\n');
  return header;
}

std::string serialize(const Array &array) {
  if (Error err = checkWritable("", array)) {
    consumeError(std::move(err));
    return std::string();
  }
  std::string dict =
      ("{'descr': '" + descrFor(array.dtype) +
       "', 'fortran_order': False, 'shape': " + pythonTuple(array.shape) +
       ", }")
          .str();
  std::string header = paddedHeader(dict, 10);
  unsigned major = 1;
  if (header.size() > 0xffff) {
    major = 2;
    header = paddedHeader(dict, 12);
  }

  std::string out;
  out.reserve(12 + header.size() + array.data.size());
  out += kMagic;
  out.push_back(char(major));
  out.push_back(0);
  unsigned lengthWidth = major == 1 ? 2 : 4;
  for (unsigned i = 0; i < lengthWidth; ++i)
    out.push_back(char((uint64_t(header.size()) >> (8 * i)) & 0xff));
  out += header;
  out.append(reinterpret_cast<const char *>(array.data.data()),
             array.data.size());
  return out;
}

Error writeFile(StringRef path, const Array &array) {
  if (Error err = checkWritable(path, array))
    return err;
  std::string bytes = serialize(array);
  std::error_code ec;
  raw_fd_ostream os(path, ec, sys::fs::OF_None);
  if (ec)
    return makeError(path, "cannot open for writing: " + ec.message());
  os << bytes;
  os.close();
  if (std::error_code writeEc = os.error()) {
    os.clear_error();
    return makeError(path, "write failed: " + writeEc.message());
  }
  return Error::success();
}

//===----------------------------------------------------------------------===//
// Element access and formatting
//===----------------------------------------------------------------------===//

double loadAsDouble(const Array &a, int64_t i) {
  const uint8_t *p = a.data.data() + i * dtypeSize(a.dtype);
  auto load = [&](auto v) {
    std::memcpy(&v, p, sizeof(v));
    return static_cast<double>(v);
  };
  switch (a.dtype) {
  case DType::F32: return load(float());
  case DType::F64: return load(double());
  case DType::F16: {
    uint16_t h;
    std::memcpy(&h, p, 2);
    return halfToFloat(h);
  }
  case DType::BF16: {
    uint16_t h;
    std::memcpy(&h, p, 2);
    return bf16ToFloat(h);
  }
  case DType::I64: return load(int64_t());
  case DType::I32: return load(int32_t());
  case DType::I16: return load(int16_t());
  case DType::I8: return load(int8_t());
  case DType::U8: return load(uint8_t());
  case DType::Bool: return *p ? 1.0 : 0.0;
  }
  return 0.0;
}

void storeFromDouble(Array &a, int64_t i, double v) {
  uint8_t *p = a.data.data() + i * dtypeSize(a.dtype);
  auto store = [&](auto x) { std::memcpy(p, &x, sizeof(x)); };
  switch (a.dtype) {
  case DType::F32: store(static_cast<float>(v)); break;
  case DType::F64: store(v); break;
  case DType::F16: store(floatToHalf(static_cast<float>(v))); break;
  case DType::BF16:
    store(floatToBf16(static_cast<float>(v)));
    break;
  case DType::I64: store(static_cast<int64_t>(v)); break;
  case DType::I32: store(static_cast<int32_t>(v)); break;
  case DType::I16: store(static_cast<int16_t>(v)); break;
  case DType::I8: store(static_cast<int8_t>(v)); break;
  case DType::U8: store(static_cast<uint8_t>(v)); break;
  case DType::Bool: *p = v != 0.0; break;
  }
}

bool isFloating(DType t) {
  return t == DType::F32 || t == DType::F64 ||
         t == DType::F16 || t == DType::BF16;
}

std::string formatShape(llvm::ArrayRef<int64_t> shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") +
         (shape[i] < 0 ? std::string("?") : std::to_string(shape[i]));
  return s + "]";
}

} // namespace mlir::tfm::npy
