/*
 * Fireball's build of wasm3's core (m3_core.c) plus the one setter wasm3's API lacks.
 *
 * wasm3 allocates with calloc/realloc/free and stops with abort(). This file includes
 * the system headers first, then renames those four calls to `fireball_wasm3_*`
 * (defined in Rust, src/lib.rs) for the rest of m3_core.c, so wasm3 allocates from
 * Rust's global allocator on the board and on the host alike, without defining the
 * libc names themselves.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>
#include <assert.h>

void *fireball_wasm3_calloc(size_t count, size_t size);
void *fireball_wasm3_realloc(void *ptr, size_t size);
void fireball_wasm3_free(void *ptr);
void fireball_wasm3_abort(void);

#define calloc fireball_wasm3_calloc
#define realloc fireball_wasm3_realloc
#define free fireball_wasm3_free
#define abort fireball_wasm3_abort

#include "m3_core.c"

#undef calloc
#undef realloc
#undef free
#undef abort

#include "m3_env.h"

/* Cap the bytes a runtime allocates for its linear memory (`M3Runtime::memoryLimit`,
 * which wasm3 0.5.0 honours but exposes no setter for). Call before m3_LoadModule. */
void fireball_wasm3_set_memory_limit(IM3Runtime runtime, uint32_t bytes)
{
    runtime->memoryLimit = bytes;
}
