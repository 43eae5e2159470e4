/*===- c_compile_and_run.c - tfm's C API from another project ------*- C -*-===*\
|*                                                                            *|
|* tfm-c-compile-and-run MODEL ARTIFACT IN.npy OUT.npy                        *|
|*                                                                            *|
|* Compiles MODEL (one input, one float32 result) to ARTIFACT with the C API, *|
|* loads it, runs it on IN.npy (int64 or float32, C order) and writes the     *|
|* result to OUT.npy.                                                         *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#include "tfm-c/Tfm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check(TfmError err, const char *what) {
  if (!err)
    return 0;
  fprintf(stderr, "tfm-c-compile-and-run: %s: %s\n", what, tfmErrorMessage(err));
  tfmErrorDestroy(err);
  return 1;
}

/* A minimal .npy reader: version 1 header, '<i8' or '<f4', C order. */
static int readNpy(const char *path, TfmTensor *t, int64_t *shape) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return 1;
  unsigned char pre[10];
  if (fread(pre, 1, 10, f) != 10 || memcmp(pre, "\x93NUMPY", 6) || pre[6] != 1) {
    fclose(f);
    return 1;
  }
  size_t headerLen = pre[8] | (pre[9] << 8);
  char *header = calloc(headerLen + 1, 1);
  if (fread(header, 1, headerLen, f) != headerLen) {
    fclose(f);
    free(header);
    return 1;
  }
  if (strstr(header, "'<i8'"))
    t->dtype = TFM_DTYPE_I64;
  else if (strstr(header, "'<f4'"))
    t->dtype = TFM_DTYPE_F32;
  else {
    fclose(f);
    free(header);
    return 1;
  }
  const char *p = strchr(strstr(header, "'shape'"), '(') + 1;
  t->rank = 0;
  int64_t count = 1;
  while (*p && *p != ')') {
    char *end;
    long long d = strtoll(p, &end, 10);
    if (end == p)
      break;
    shape[t->rank++] = d;
    count *= d;
    p = end;
    while (*p == ',' || *p == ' ')
      ++p;
  }
  free(header);
  t->shape = shape;
  size_t bytes = (size_t)count * (t->dtype == TFM_DTYPE_I64 ? 8 : 4);
  t->data = malloc(bytes ? bytes : 1);
  size_t got = fread(t->data, 1, bytes, f);
  fclose(f);
  return got != bytes;
}

static int writeNpyF32(const char *path, const TfmTensor *t) {
  char header[256], shape[160] = "";
  int64_t count = 1;
  for (int64_t i = 0; i < t->rank; ++i) {
    char d[32];
    snprintf(d, sizeof d, "%lld,%s", (long long)t->shape[i],
             i + 1 < t->rank ? " " : "");
    strcat(shape, d);
    count *= t->shape[i];
  }
  if (t->rank > 1)
    shape[strlen(shape) - 1] = '\0'; /* (2, 3) but (4,) */
  int n = snprintf(header, sizeof header,
                   "{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }", shape);
  int total = 10 + n + 1;
  int pad = (64 - total % 64) % 64;
  FILE *f = fopen(path, "wb");
  if (!f)
    return 1;
  unsigned short len = (unsigned short)(n + pad + 1);
  fwrite("\x93NUMPY\x01\x00", 1, 8, f);
  fputc(len & 0xff, f);
  fputc(len >> 8, f);
  fwrite(header, 1, n, f);
  for (int i = 0; i < pad; ++i)
    fputc(' ', f);
  fputc('\n', f);
  fwrite(t->data, 4, (size_t)count, f);
  return fclose(f) != 0;
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: tfm-c-compile-and-run MODEL ARTIFACT IN.npy OUT.npy\n");
    return 2;
  }
  TfmCompileOptions options;
  tfmCompileOptionsInit(&options);
  if (check(tfmCompileFile(argv[1], &options, argv[2]), "compiling"))
    return 1;

  TfmExecutable exe;
  if (check(tfmExecutableLoad(argv[2], NULL, &exe), "loading"))
    return 1;
  printf("signature: %s\n", tfmExecutableSignatureJSON(exe));

  TfmTensor input;
  int64_t shape[8];
  if (readNpy(argv[3], &input, shape)) {
    fprintf(stderr, "tfm-c-compile-and-run: cannot read %s\n", argv[3]);
    return 1;
  }
  TfmTensor *results;
  size_t numResults;
  if (check(tfmExecutableRun(exe, &input, 1, &results, &numResults), "running"))
    return 1;
  free(input.data);
  if (numResults < 1 || results[0].dtype != TFM_DTYPE_F32 ||
      writeNpyF32(argv[4], &results[0])) {
    fprintf(stderr, "tfm-c-compile-and-run: cannot write %s\n", argv[4]);
    return 1;
  }
  printf("results: %zu\n", numResults);
  tfmTensorsDestroy(results, numResults);
  tfmExecutableDestroy(exe);
  return 0;
}
