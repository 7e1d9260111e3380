#ifndef KTS_MEMORY_H
#define KTS_MEMORY_H
#include <node_api.h>

#ifdef __cplusplus
extern "C" {
#endif

/* mallocTrim(): malloc_trim(0); whether memory was released. See memory.c. */
napi_value kts_malloc_trim(napi_env env, napi_callback_info info);

/* memoryPressure(): V8's memory-reducing mark-compact, started now; whether there was an isolate
 * to ask. See heap_pressure.cc (C++: V8's own API). */
napi_value kts_memory_pressure(napi_env env, napi_callback_info info);

#ifdef __cplusplus
}
#endif

#endif
