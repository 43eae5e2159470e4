/*===- tfm-c/Tfm.h - the C API of the tfm compiler -----------------*- C -*-===*\
|*                                                                            *|
|* Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception       *|
|*                                                                            *|
|* Compile a transformer model (ONNX or MLIR) into an artifact, then load     *|
|* and run the artifact on host arrays:                                       *|
|*                                                                            *|
|*   TfmCompileOptions options;                                               *|
|*   tfmCompileOptionsInit(&options);                                         *|
|*   TfmError err = tfmCompileFile("model.onnx", &options, "model.o");        *|
|*   TfmExecutable exe;                                                       *|
|*   err = tfmExecutableLoad("model.o", NULL, &exe);                          *|
|*   TfmTensor *results; size_t n;                                            *|
|*   err = tfmExecutableRun(exe, inputs, numInputs, &results, &n);            *|
|*   ...                                                                      *|
|*   tfmTensorsDestroy(results, n);                                           *|
|*   tfmExecutableDestroy(exe);                                               *|
|*                                                                            *|
|* Every fallible call returns a TfmError: NULL on success, else an error     *|
|* the caller reads with tfmErrorMessage and frees with tfmErrorDestroy.      *|
|* Nothing aborts the process or prints.                                      *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef TFM_C_TFM_H
#define TFM_C_TFM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct TfmErrorImpl *TfmError;
typedef struct TfmCompilerImpl *TfmCompiler;
typedef struct TfmModelImpl *TfmModel;
typedef struct TfmExecutableImpl *TfmExecutable;

/* Element types of tensors crossing the API. */
typedef enum {
  TFM_DTYPE_F32,
  TFM_DTYPE_F64,
  TFM_DTYPE_F16,
  TFM_DTYPE_BF16,
  TFM_DTYPE_I64,
  TFM_DTYPE_I32,
  TFM_DTYPE_I16,
  TFM_DTYPE_I8,
  TFM_DTYPE_U8,
  TFM_DTYPE_BOOL
} TfmDType;

/* A dense row-major array. Inputs are read, never kept; results are
 * allocated by tfm (shape and data) and freed with tfmTensorsDestroy. */
typedef struct {
  TfmDType dtype;
  int64_t rank;
  int64_t *shape;
  void *data;
} TfmTensor;

/* NULL strings mean the default. */
typedef struct {
  const char *target;    /* "cpu" (default) or "cuda" */
  const char *chip;      /* cpu: an LLVM CPU name, default this machine */
  const char *precision; /* "f32" (default), "f16", "bf16" */
  int opt_level;         /* 0..3, default 2 */
  const char *passes;    /* a pass pipeline instead of the -O one */
  const char *entry;     /* the function to compile, default "main" */
} TfmCompileOptions;

/*--- errors ---------------------------------------------------------------*/

/* The message, with the diagnostics (and their locations) behind it. */
const char *tfmErrorMessage(TfmError error);
void tfmErrorDestroy(TfmError error);

/*--- compiling -------------------------------------------------------------*/

void tfmCompileOptionsInit(TfmCompileOptions *options);

/* Loads `modelPath`, optimises it, compiles it and writes the artifact. */
TfmError tfmCompileFile(const char *modelPath, const TfmCompileOptions *options,
                        const char *artifactPath);

/* The same in steps, for callers that want the stats or another tier. */
TfmCompiler tfmCompilerCreate(void);
void tfmCompilerDestroy(TfmCompiler compiler);
/* ONNX (.onnx), MLIR text or bytecode. The model must not outlive its
 * compiler. */
TfmError tfmCompilerLoadModel(TfmCompiler compiler, const char *path,
                              TfmModel *model);
void tfmModelDestroy(TfmModel model);
TfmError tfmModelOptimize(TfmModel model, const TfmCompileOptions *options);
/* The tfm-stats JSON object; free it with tfmStringDestroy. */
TfmError tfmModelStatsJSON(TfmModel model, char **json);
/* Writes the model at tier `emit` ("mlir", "mlirbc", "llvm", "ptx", "obj")
 * to `outputPath`. */
TfmError tfmModelEmit(TfmModel model, const TfmCompileOptions *options,
                      const char *emit, const char *outputPath);
TfmError tfmModelCompile(TfmModel model, const TfmCompileOptions *options,
                         const char *artifactPath);
void tfmStringDestroy(char *string);

/*--- running ---------------------------------------------------------------*/

/* Loads an artifact; `entry` may be NULL when it has one entry. */
TfmError tfmExecutableLoad(const char *artifactPath, const char *entry,
                           TfmExecutable *executable);
void tfmExecutableDestroy(TfmExecutable executable);
size_t tfmExecutableNumInputs(TfmExecutable executable);
size_t tfmExecutableNumResults(TfmExecutable executable);
/* The signature as JSON: {"entry", "inputs": [{"dtype", "shape",
 * "dim_names", "id_bound"}], "results": [...]}; -1 marks a dynamic extent.
 * The string lives as long as the executable. */
const char *tfmExecutableSignatureJSON(TfmExecutable executable);
/* Runs once. On success *results holds *numResults arrays. */
TfmError tfmExecutableRun(TfmExecutable executable, const TfmTensor *inputs,
                          size_t numInputs, TfmTensor **results,
                          size_t *numResults);
void tfmTensorsDestroy(TfmTensor *tensors, size_t count);

#ifdef __cplusplus
}
#endif

#endif /* TFM_C_TFM_H */
