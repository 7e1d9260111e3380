/*
 * V8's memory reducer on demand, for Node: a moderate memory-pressure notification makes V8 start
 * an incremental mark-compact that reduces its footprint (shrinks the young generation, releases
 * the pages it empties), the same collection its memory reducer runs by itself once a process has
 * allocated little for a while (8 s or more after its last mark-compact). The loop keeps running
 * between the marking's steps. See src/daemon/memory-budget.ts.
 */
#include <node_api.h>
#include <v8.h>

#include "memory.h"

napi_value kts_memory_pressure(napi_env env, napi_callback_info info) {
  v8::Isolate *isolate = v8::Isolate::GetCurrent();
  if (isolate != nullptr) isolate->MemoryPressureNotification(v8::MemoryPressureLevel::kModerate);
  napi_value out;
  napi_get_boolean(env, isolate != nullptr, &out);
  return out;
}
