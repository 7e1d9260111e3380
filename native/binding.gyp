{
  "targets": [
    {
      "target_name": "kts_net",
      "sources": ["kts_net.c", "steady_watch.c", "steady_advert.c", "steady_bpf.c", "steady_sender.c", "exec_self.c", "memory.c", "heap_pressure.cc"],
      "cflags": ["-Wall", "-Wextra", "-Wno-unused-parameter", "-O2"],
      "cflags_c": ["-std=gnu11"],
      "cflags_cc": ["-std=gnu++17"],
      "defines": ["NAPI_VERSION=8", "_GNU_SOURCE"]
    },
    {
      "target_name": "kts_watchdog",
      "type": "executable",
      "sources": ["watchdog.c"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter", "-O2"],
      "defines": ["_GNU_SOURCE"]
    }
  ]
}
