// Bad input: a clear message naming the file and the node, exit code 1, and
// no output file (not even a partial one).

// RUN: rm -f %t.mlir
// RUN: not tfm-translate --import-onnx %S/Inputs/unsupported.onnxtxt -o %t.mlir 2>&1 | FileCheck %s --check-prefix=UNSUP
// RUN: not test -e %t.mlir
// Every unsupported node is reported in one run, with op type, domain, opset.
// UNSUP: unsupported.onnxtxt: node 'Fancy#0': error: ONNX node 'Fancy#0' is not supported: op type Fancy, domain 'com.example', opset 1
// UNSUP: unsupported.onnxtxt: node 'FusedMatMul#2': error: ONNX node 'FusedMatMul#2' is not supported: op type FusedMatMul, domain 'com.microsoft', opset 1
// UNSUP: unsupported.onnxtxt: node 'Fancy#3': error: ONNX node 'Fancy#3' is not supported: op type Fancy, domain 'com.example', opset 1
// UNSUP: unsupported.onnxtxt: error: 3 ONNX nodes are not supported: com.example::Fancy (2), com.microsoft::FusedMatMul (1)

// RUN: not tfm-translate --import-onnx %S/Inputs/uint8-input.onnxtxt -o %t.mlir 2>&1 | FileCheck %s --check-prefix=DTYPE
// RUN: not test -e %t.mlir
// DTYPE: uint8-input.onnxtxt: error: graph input 'X' has element type UINT8, which tfm does not support

// RUN: not tfm-translate --import-onnx %S/Inputs/bad-syntax.onnxtxt -o %t.mlir 2>&1 | FileCheck %s --check-prefix=SYNTAX
// RUN: not test -e %t.mlir
// SYNTAX: bad-syntax.onnxtxt: error: cannot parse the ONNX text: [ParseError at position (line: 4

// libonnx's text parser throws on literals it cannot read: still an error.
// RUN: not tfm-translate --import-onnx %S/Inputs/bad-literal.onnxtxt -o %t.mlir 2>&1 | FileCheck %s --check-prefix=LITERAL
// LITERAL: bad-literal.onnxtxt: error: cannot parse the ONNX text: stof

// RUN: not tfm-translate --import-onnx %S/Inputs/undefined-value.onnxtxt -o %t.mlir 2>&1 | FileCheck %s --check-prefix=UNDEF
// UNDEF: undefined-value.onnxtxt: error: the ONNX checker rejects the model: Nodes in a graph must be topologically sorted, however input 'Z' of node:
// UNDEF-NEXT: name:  OpType: Add

// RUN: not tfm-translate --import-onnx %S/Inputs/garbage.onnx -o %t.mlir 2>&1 | FileCheck %s --check-prefix=GARBAGE
// GARBAGE: garbage.onnx: error: not a valid ONNX model (the ModelProto does not parse)

// RUN: not tfm-translate --import-onnx %S/Inputs/missing.onnx 2>&1 | FileCheck %s --check-prefix=MISSING
// MISSING: error: cannot read '{{.*}}missing.onnx': No such file or directory

// RUN: not tfm-translate %S/Inputs/bad-syntax.onnxtxt 2>&1 | FileCheck %s --check-prefix=NOTRANSLATION
// NOTRANSLATION: tfm-translate: choose a translation (--import-onnx)
