{
  "targets": [
    {
      "target_name": "kts_net",
      "sources": ["kts_net.c", "steady_watch.c", "steady_advert.c", "steady_bpf.c", "steady_sender.c"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter", "-O2"],
      "defines": ["NAPI_VERSION=8", "_GNU_SOURCE"]
    }
  ]
}
