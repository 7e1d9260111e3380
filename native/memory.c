/*
 * malloc_trim(0) for Node: gives the pages glibc's malloc holds free back to the kernel. V8's
 * compiler and parser allocate and free a lot through malloc while a process loads its code
 * (the VRRP child compiles everything at load: --no-lazy) and while a reload runs; what they free
 * stays resident in the malloc heap until trimmed. See src/daemon/memory-budget.ts.
 */
#include <malloc.h>
#include <node_api.h>

#include "memory.h"

napi_value kts_malloc_trim(napi_env env, napi_callback_info info) {
  napi_value out;
  napi_get_boolean(env, malloc_trim(0) != 0, &out);
  return out;
}
