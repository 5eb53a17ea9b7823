// Shared helpers of the ciscouc fuzz targets.
#pragma once

#include <cstdio>
#include <cstdlib>

// An invariant of the core does not hold: print it and abort, so libFuzzer
// records the input as a crash (artifact) whatever the build type.
#define FUZZ_CHECK(cond)                                                            \
    do {                                                                            \
        if (!(cond)) {                                                              \
            std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
            std::abort();                                                           \
        }                                                                           \
    } while (0)
