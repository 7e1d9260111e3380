#ifndef KTS_EXEC_SELF_H
#define KTS_EXEC_SELF_H
#include <node_api.h>

/* execve(path, argv, env) from JavaScript; see exec_self.c. */
napi_value kts_execve(napi_env env, napi_callback_info info);

#endif
