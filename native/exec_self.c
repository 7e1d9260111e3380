/*
 * execve() for Node: `keepalived-ts -n` becomes the watchdog (native/watchdog.c) in place — same
 * pid (the pid file it wrote, systemd's main pid, the process group), none of Node's memory.
 * Node has no exec of its own. The calling process's other threads end with the exec.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <node_api.h>

#include "exec_self.h"

/* A JS array of strings as a NULL-terminated C array (freed by the caller). */
static char **string_array(napi_env env, napi_value arr) {
  uint32_t n = 0;
  if (napi_get_array_length(env, arr, &n) != napi_ok) return NULL;
  char **out = calloc((size_t)n + 1, sizeof(char *));
  if (!out) return NULL;
  for (uint32_t i = 0; i < n; i++) {
    napi_value v;
    size_t len = 0;
    napi_get_element(env, arr, i, &v);
    if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) goto fail;
    out[i] = malloc(len + 1);
    if (!out[i]) goto fail;
    napi_get_value_string_utf8(env, v, out[i], len + 1, &len);
  }
  return out;
fail:
  for (uint32_t i = 0; i < n; i++) free(out[i]);
  free(out);
  return NULL;
}

static void free_array(char **a) {
  if (!a) return;
  for (char **p = a; *p; p++) free(*p);
  free(a);
}

/* execve(path, argv, env): returns only on failure, by throwing with errno's text. */
napi_value kts_execve(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value args[3];
  napi_get_cb_info(env, info, &argc, args, NULL, NULL);
  if (argc < 3) {
    napi_throw_type_error(env, NULL, "execve(path, argv, env)");
    return NULL;
  }
  char path[4096];
  size_t len = 0;
  if (napi_get_value_string_utf8(env, args[0], path, sizeof path, &len) != napi_ok) {
    napi_throw_type_error(env, NULL, "execve: path must be a string");
    return NULL;
  }
  char **argv = string_array(env, args[1]);
  char **envp = string_array(env, args[2]);
  if (!argv || !envp) {
    free_array(argv);
    free_array(envp);
    napi_throw_type_error(env, NULL, "execve: argv and env must be arrays of strings");
    return NULL;
  }
  /* Node marks its stdio close-on-exec: the new image keeps them (its log goes where ours went). */
  for (int fd = 0; fd <= 2; fd++) {
    int flags = fcntl(fd, F_GETFD);
    if (flags >= 0) fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC);
  }
  execve(path, argv, envp);
  int err = errno;
  free_array(argv);
  free_array(envp);
  char msg[4200];
  strncpy(msg, path, sizeof msg - 64);
  msg[sizeof msg - 64] = '\0';
  strcat(msg, ": ");
  strcat(msg, strerror(err));
  napi_throw_error(env, NULL, msg);
  return NULL;
}
