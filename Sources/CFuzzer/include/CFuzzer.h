// libFuzzer's driver, for `revenant-fuzz` built with `-sanitize=fuzzer` (scripts/fuzz.sh). Only
// declared here: it is defined by the fuzzer runtime, which only that build links.
#ifndef REVENANT_CFUZZER_H
#define REVENANT_CFUZZER_H
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
