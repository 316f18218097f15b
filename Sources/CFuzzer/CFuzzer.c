// Nothing to define: CFuzzer.h declares what the fuzzer runtime provides.
#include "CFuzzer.h"
