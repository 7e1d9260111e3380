#ifndef KTS_MEMORY_H
#define KTS_MEMORY_H
#include <node_api.h>

/* mallocTrim(): malloc_trim(0); whether memory was released. See memory.c. */
napi_value kts_malloc_trim(napi_env env, napi_callback_info info);

#endif
