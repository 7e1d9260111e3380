/*
 * kts_watchdog: the daemon's parent process (keepalived's watchdog), a small C program.
 *
 * Why C and not Node: the parent only forks its children, restarts one that dies, turns signals
 * into actions and carries the VRRP child's instance states to the checker child. A Node process
 * for that costs ≈ 45 MB of RSS (the node binary's pages, V8's heap) on a load balancer where
 * keepalived's whole daemon is ≈ 13 MB; this one is ≈ 1 MB. Everything that needs the
 * configuration lives in the children: each loads it itself at start and at a reload, in a
 * short-lived loader process of its own (src/daemon/config-elsewhere.ts), never on its loop.
 *
 * `keepalived-ts -n` checks the configuration and the pid file, writes its pid file and then
 * execve()s this program (same pid, same process group), with:
 *   kts_watchdog [--log-console] [--no-respawn] [--nice N] [--pid-file F] [--allow-checkers]
 *                [--start vrrp|checkers]... --vrrp PIDFILE ARGC ARGV... --checkers PIDFILE ARGC ARGV...
 * where ARGV is the child's whole command (node, its options, the child's module). The children's
 * settings travel in the environment (KTS_CHILD_SETTINGS, read by the children).
 *
 * Each child gets a Unix socket pair as Node's IPC channel (NODE_CHANNEL_FD, JSON lines), so it
 * uses process.send / process.on('message') and sees 'disconnect' when the watchdog dies. On it:
 *   VRRP child → {"type":"vrrpState",...}   forwarded as it is to the checker child (lvs_sync_daemon);
 *   VRRP child → {"type":"checkersWanted"}  a reload brought virtual servers: start the checker child;
 *   either child → {"type":"ready"}          its signal handlers are in place (signals wait till then);
 *   watchdog → VRRP child {"type":"resendStates"}  when a checker child (re)starts.
 * Signals: SIGHUP is passed to the children (each reloads itself), SIGUSR1 / SIGUSR2 to the VRRP
 * child, SIGTERM / SIGINT stop the children (SIGKILL after 10 s) and then the watchdog.
 * A child that exits with EX_CONFIG (78: its configuration has errors at a restart) is not restarted
 * and the daemon stops with status 1, as keepalived does with KEEPALIVED_EXIT_CONFIG (and with -R
 * after any child's death).
 *
 * Priority: the watchdog runs 10 nicer than it was started (nothing it does is urgent to the
 * millisecond) and forks its children at the daemon's own priority.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MIN_RESTART_GAP_MS 1000
#define STOP_TIMEOUT_MS 10000
#define PARENT_NICE_STEP 10
#define EX_CONFIG 78
#define LINE_MAX_BYTES 65536

typedef struct {
  const char *name;    /* as the log names it: "VRRP", "Healthcheck" */
  const char *pidFile;
  char **argv;         /* node, options, module; NULL-terminated */
  int configured;      /* given on the command line */
  int wanted;          /* should be running */
  pid_t pid;           /* 0: not running */
  int fd;              /* our end of its IPC channel, -1 if none */
  long long lastStart; /* ms, monotonic */
  long long restartAt; /* ms, monotonic; 0: none pending */
  char buf[LINE_MAX_BYTES];
  size_t len;
  int discarding;      /* the current line is too long: dropped up to its end */
  int ready;           /* it said {"type":"ready"}: its signal handlers are in place */
  unsigned pending;    /* signals held until it is ready (bit n: signal n) */
} child_t;

static int logConsole = 0;
static int respawn = 1;
static int allowCheckers = 0;
static int baseNice = 0;
static const char *pidFile = NULL;
static child_t vrrp = {.name = "VRRP", .fd = -1};
static child_t checkers = {.name = "Healthcheck", .fd = -1};
static int shuttingDown = 0;
/* 0 after SIGTERM / SIGINT; 1 when a child's death stopped the daemon (-R, configuration errors). */
static int exitStatus = 0;
static long long killAt = 0;

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The same line as the Node side's logger (src/daemon/logger.ts): local time, tag, pid. */
static void logf_(const char *fmt, ...) {
  if (!logConsole) return;
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  struct timeval tv;
  gettimeofday(&tv, NULL);
  struct tm tm;
  localtime_r(&tv.tv_sec, &tm);
  char line[1200];
  int n = snprintf(line, sizeof line, "%04d-%02d-%02d %02d:%02d:%02d.%03d Keepalived[%d]: %s\n", tm.tm_year + 1900, tm.tm_mon + 1,
                   tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(tv.tv_usec / 1000), (int)getpid(), msg);
  if (n < 0) return;
  if (n > (int)sizeof line) n = sizeof line;
  const char *p = line;
  while (n > 0) {
    ssize_t w = write(2, p, (size_t)n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && errno == EAGAIN) {
      struct pollfd pfd = {.fd = 2, .events = POLLOUT};
      poll(&pfd, 1, 100);
      continue;
    }
    if (w <= 0) return;
    p += w;
    n -= (int)w;
  }
}

static void write_pid(const char *file, pid_t pid) {
  if (!file) return;
  FILE *f = fopen(file, "w");
  if (!f) {
    logf_("cannot write pid file %s: %s", file, strerror(errno));
    return;
  }
  fprintf(f, "%d\n", (int)pid);
  fclose(f);
}

/* Removes a pid file only while it still names `pid` (a newer daemon may have written it). */
static void remove_pid(const char *file, pid_t pid) {
  if (!file) return;
  FILE *f = fopen(file, "r");
  if (!f) return;
  int got = 0;
  int ok = fscanf(f, "%d", &got);
  fclose(f);
  if (ok == 1 && got == (int)pid) unlink(file);
}

static const char *signal_name(int sig) {
  static char name[32];
  const char *abbrev = sigabbrev_np(sig);
  if (abbrev) snprintf(name, sizeof name, "SIG%s", abbrev);
  else snprintf(name, sizeof name, "signal %d", sig);
  return name;
}

/* A whole line to a child's channel; a child that does not read (full buffer) loses it, logged. */
static void send_line(child_t *c, const char *line, size_t len) {
  if (c->fd < 0) return;
  struct iovec iov[2] = {{.iov_base = (void *)line, .iov_len = len}, {.iov_base = "\n", .iov_len = 1}};
  struct msghdr mh = {.msg_iov = iov, .msg_iovlen = 2};
  ssize_t w;
  do w = sendmsg(c->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
  while (w < 0 && errno == EINTR);
  if (w != (ssize_t)len + 1) logf_("%s child's channel is full or closed: a message to it was lost", c->name);
}

static void start_child(child_t *c) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
    logf_("cannot start the %s child process: socketpair: %s", c->name, strerror(errno));
    c->restartAt = now_ms() + MIN_RESTART_GAP_MS;
    return;
  }
  c->lastStart = now_ms();
  c->restartAt = 0;
  c->len = 0;
  c->discarding = 0;
  c->ready = 0;
  c->pending = 0;
  pid_t pid = fork();
  if (pid < 0) {
    logf_("cannot start the %s child process: fork: %s", c->name, strerror(errno));
    close(sv[0]);
    close(sv[1]);
    c->restartAt = now_ms() + MIN_RESTART_GAP_MS;
    return;
  }
  if (pid == 0) {
    /* The child: the daemon's priority, default signals, the channel on fd 3, nothing else open. */
    sigset_t all;
    sigemptyset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    for (int s = 1; s < NSIG; s++) signal(s, SIG_DFL);
    setpriority(PRIO_PROCESS, 0, baseNice);
    if (dup2(sv[1], 3) < 0) _exit(127);
    close_range(4, ~0U, 0);
    /* Two malloc arenas for the Node child (src/daemon/memory-budget.ts), unless the user chose;
     * the child takes the setting out of its environment again for what it runs. */
    if (getenv("MALLOC_ARENA_MAX") == NULL) {
      setenv("MALLOC_ARENA_MAX", "2", 1);
      setenv("KTS_MALLOC_ARENA_MAX_SET", "1", 1);
    }
    setenv("NODE_CHANNEL_FD", "3", 1);
    setenv("NODE_CHANNEL_SERIALIZATION_MODE", "json", 1);
    execv(c->argv[0], c->argv);
    dprintf(2, "kts_watchdog: cannot run %s: %s\n", c->argv[0], strerror(errno));
    _exit(127);
  }
  close(sv[1]);
  c->fd = sv[0];
  fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
  c->pid = pid;
  write_pid(c->pidFile, pid);
  logf_("Starting %s child process, pid=%d", c->name, (int)pid);
  /* A (re)started checker child hears every instance's state first: the VRRP child sends them. */
  if (c == &checkers && vrrp.pid > 0) {
    static const char resend[] = "{\"type\":\"resendStates\"}";
    send_line(&vrrp, resend, sizeof resend - 1);
  }
}

static void maybe_finish(void) {
  if (vrrp.pid > 0 || checkers.pid > 0) return;
  remove_pid(pidFile, getpid());
  logf_("Stopped keepalived-ts");
  exit(exitStatus);
}

static void shutdown_all(const char *why) {
  if (shuttingDown) return;
  shuttingDown = 1;
  logf_("Stopping (%s)", why);
  child_t *cs[2] = {&vrrp, &checkers};
  for (int i = 0; i < 2; i++) {
    cs[i]->restartAt = 0;
    if (cs[i]->pid > 0) kill(cs[i]->pid, SIGTERM);
  }
  killAt = now_ms() + STOP_TIMEOUT_MS;
  maybe_finish();
}

static void close_channel(child_t *c) {
  if (c->fd >= 0) close(c->fd);
  c->fd = -1;
}

/*
 * A signal for a child. Until the child says it is ready, Node's default actions would apply —
 * SIGHUP and SIGUSR2 end the process, SIGUSR1 opens the inspector — so it waits, and goes on
 * when the child's 'ready' comes.
 */
static void pass_signal(child_t *c, int sig) {
  if (c->pid <= 0) return;
  if (!c->ready) {
    c->pending |= 1u << sig;
    return;
  }
  kill(c->pid, sig);
}

static void on_line(child_t *c, char *line, size_t len) {
  static const char ready[] = "{\"type\":\"ready\"}";
  if (len == sizeof ready - 1 && memcmp(line, ready, len) == 0) {
    c->ready = 1;
    for (int sig = 1; sig < 32; sig++)
      if (c->pending & (1u << sig)) kill(c->pid, sig);
    c->pending = 0;
    return;
  }
  if (c != &vrrp) return;
  /* JSON.stringify's own spelling: the type comes first in the messages we send (ipc.ts). */
  static const char state[] = "{\"type\":\"vrrpState\"";
  static const char wanted[] = "{\"type\":\"checkersWanted\"}";
  if (len >= sizeof state - 1 && memcmp(line, state, sizeof state - 1) == 0) {
    send_line(&checkers, line, len);
  } else if (len == sizeof wanted - 1 && memcmp(line, wanted, len) == 0) {
    if (allowCheckers && !checkers.wanted && !shuttingDown) {
      checkers.wanted = 1;
      start_child(&checkers);
    }
  }
}

static void read_channel(child_t *c) {
  for (;;) {
    char *space = c->buf + c->len;
    size_t room = sizeof c->buf - c->len;
    ssize_t n = read(c->fd, space, room);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    if (n <= 0) {
      close_channel(c); /* the child is going: its exit comes as SIGCHLD */
      return;
    }
    c->len += (size_t)n;
    size_t start = 0;
    for (size_t i = c->len - (size_t)n; i < c->len; i++) {
      if (c->buf[i] != '\n') continue;
      if (!c->discarding) on_line(c, c->buf + start, i - start);
      c->discarding = 0;
      start = i + 1;
    }
    memmove(c->buf, c->buf + start, c->len - start);
    c->len -= start;
    if (c->len == sizeof c->buf) {
      c->discarding = 1; /* a line longer than the buffer: not one of ours */
      c->len = 0;
    }
  }
}

static void reap(void) {
  for (;;) {
    int status;
    pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid <= 0) return;
    child_t *c = pid == vrrp.pid ? &vrrp : pid == checkers.pid ? &checkers : NULL;
    if (!c) continue;
    remove_pid(c->pidFile, pid);
    c->pid = 0;
    close_channel(c);
    if (shuttingDown) {
      maybe_finish();
      continue;
    }
    char how[64];
    if (WIFSIGNALED(status)) snprintf(how, sizeof how, "%s", signal_name(WTERMSIG(status)));
    else snprintf(how, sizeof how, "exit status %d", WEXITSTATUS(status));
    logf_("%s child process(%d) died: %s", c->name, (int)pid, how);
    if (WIFEXITED(status) && WEXITSTATUS(status) == EX_CONFIG) {
      logf_("Not respawning it: its configuration has errors; stopping");
      exitStatus = 1;
      shutdown_all("configuration errors");
      continue;
    }
    if (!respawn) {
      logf_("Not respawning it (-R): stopping");
      exitStatus = 1;
      shutdown_all("child died");
      continue;
    }
    long long at = c->lastStart + MIN_RESTART_GAP_MS;
    c->restartAt = at > now_ms() ? at : now_ms();
  }
}

static int parse_child(child_t *c, int *i, int argc, char **argv) {
  if (*i + 2 >= argc) return -1;
  c->pidFile = argv[++*i];
  int n = atoi(argv[++*i]);
  if (n <= 0 || *i + n >= argc) return -1;
  c->argv = calloc((size_t)n + 1, sizeof(char *));
  if (!c->argv) return -1;
  for (int k = 0; k < n; k++) c->argv[k] = argv[++*i];
  c->configured = 1;
  return 0;
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--log-console") == 0) logConsole = 1;
    else if (strcmp(a, "--no-respawn") == 0) respawn = 0;
    else if (strcmp(a, "--allow-checkers") == 0) allowCheckers = 1;
    else if (strcmp(a, "--nice") == 0 && i + 1 < argc) baseNice = atoi(argv[++i]);
    else if (strcmp(a, "--pid-file") == 0 && i + 1 < argc) pidFile = argv[++i];
    else if (strcmp(a, "--start") == 0 && i + 1 < argc) {
      const char *w = argv[++i];
      if (strcmp(w, "vrrp") == 0) vrrp.wanted = 1;
      else if (strcmp(w, "checkers") == 0) checkers.wanted = 1;
      else goto usage;
    } else if (strcmp(a, "--vrrp") == 0) {
      if (parse_child(&vrrp, &i, argc, argv) < 0) goto usage;
    } else if (strcmp(a, "--checkers") == 0) {
      if (parse_child(&checkers, &i, argc, argv) < 0) goto usage;
    } else goto usage;
  }
  if ((vrrp.wanted && !vrrp.configured) || (checkers.wanted && !checkers.configured) || (!vrrp.wanted && !checkers.wanted)) goto usage;
  if (!checkers.configured) allowCheckers = 0;

  /* Node may have left stderr non-blocking and SIGPIPE ignored: our writes handle both. */
  sigset_t mask;
  sigemptyset(&mask);
  int sigs[] = {SIGCHLD, SIGHUP, SIGTERM, SIGINT, SIGUSR1, SIGUSR2};
  for (size_t k = 0; k < sizeof sigs / sizeof sigs[0]; k++) sigaddset(&mask, sigs[k]);
  sigprocmask(SIG_BLOCK, &mask, NULL);
  int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0) {
    fprintf(stderr, "kts_watchdog: signalfd: %s\n", strerror(errno));
    return 1;
  }

  if (vrrp.wanted) start_child(&vrrp);
  if (checkers.wanted) start_child(&checkers);
  /* Yield the cores to the children: errno-free if raising it fails (nothing to do then). */
  setpriority(PRIO_PROCESS, 0, baseNice + PARENT_NICE_STEP > 19 ? 19 : baseNice + PARENT_NICE_STEP);

  for (;;) {
    struct pollfd pfds[3];
    child_t *who[3];
    int n = 0;
    pfds[n] = (struct pollfd){.fd = sfd, .events = POLLIN};
    who[n++] = NULL;
    if (vrrp.fd >= 0) {
      pfds[n] = (struct pollfd){.fd = vrrp.fd, .events = POLLIN};
      who[n++] = &vrrp;
    }
    if (checkers.fd >= 0) {
      pfds[n] = (struct pollfd){.fd = checkers.fd, .events = POLLIN};
      who[n++] = &checkers;
    }
    long long next = -1;
    child_t *cs[2] = {&vrrp, &checkers};
    for (int k = 0; k < 2; k++)
      if (cs[k]->restartAt > 0 && (next < 0 || cs[k]->restartAt < next)) next = cs[k]->restartAt;
    if (shuttingDown && (next < 0 || killAt < next)) next = killAt;
    int timeout = -1;
    if (next >= 0) {
      long long d = next - now_ms();
      timeout = d < 0 ? 0 : d > 60000 ? 60000 : (int)d;
    }
    int r = poll(pfds, (nfds_t)n, timeout);
    if (r < 0 && errno != EINTR) {
      logf_("poll: %s", strerror(errno));
      sleep(1);
    }
    for (int k = 0; r > 0 && k < n; k++) {
      if (!pfds[k].revents) continue;
      if (who[k]) {
        read_channel(who[k]);
        continue;
      }
      struct signalfd_siginfo si;
      while (read(sfd, &si, sizeof si) == (ssize_t)sizeof si) {
        switch ((int)si.ssi_signo) {
          case SIGCHLD: reap(); break;
          case SIGTERM: shutdown_all("SIGTERM"); break;
          case SIGINT: shutdown_all("SIGINT"); break;
          case SIGHUP:
            if (shuttingDown) break;
            logf_("Reloading: SIGHUP to the children, each loads the configuration again");
            for (int c = 0; c < 2; c++) pass_signal(cs[c], SIGHUP);
            break;
          case SIGUSR1:
          case SIGUSR2:
            pass_signal(&vrrp, (int)si.ssi_signo);
            break;
        }
      }
    }
    long long t = now_ms();
    for (int k = 0; k < 2; k++) {
      if (shuttingDown || cs[k]->restartAt == 0 || cs[k]->restartAt > t) continue;
      logf_("Restarting %s child process", cs[k]->name);
      start_child(cs[k]);
    }
    if (shuttingDown && t >= killAt) {
      for (int k = 0; k < 2; k++)
        if (cs[k]->pid > 0) kill(cs[k]->pid, SIGKILL);
      killAt = t + STOP_TIMEOUT_MS;
    }
  }

usage:
  fprintf(stderr,
          "usage: kts_watchdog [--log-console] [--no-respawn] [--allow-checkers] [--nice N] [--pid-file F] [--start vrrp|checkers]...\n"
          "                    [--vrrp PIDFILE ARGC ARGV...] [--checkers PIDFILE ARGC ARGV...]\n"
          "(started by keepalived-ts -n, not by hand)\n");
  return 2;
}
