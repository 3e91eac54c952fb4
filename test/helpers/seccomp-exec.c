// Runs a command under a system-call allow-list, the way systemd applies
// `SystemCallFilter=` with `SystemCallErrorNumber=EPERM` and `NoNewPrivileges=yes`
// (systemd.exec(5)): every listed call is allowed, every other one fails with EPERM.
// test/integration/deploy-seccomp.test.ts builds the list from deploy/tty2mqtt.service with
// `systemd-analyze syscall-filter` and runs the real daemon under it, because no systemd
// runs as PID 1 on the test machines to do it for us.
//
//   seccomp-exec ALLOWLIST_FILE COMMAND [ARG...]
//
// ALLOWLIST_FILE: one system call name per line. Names this libseccomp does not know on this
// architecture are skipped, as systemd skips them.
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: seccomp-exec ALLOWLIST_FILE COMMAND [ARG...]\n");
    return 2;
  }
  FILE *list = fopen(argv[1], "r");
  if (list == NULL) {
    perror(argv[1]);
    return 2;
  }
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
  if (ctx == NULL) {
    fprintf(stderr, "seccomp_init failed\n");
    return 2;
  }
  char name[128];
  int allowed = 0;
  while (fgets(name, sizeof name, list) != NULL) {
    name[strcspn(name, "\r\n")] = '\0';
    if (name[0] == '\0') continue;
    int nr = seccomp_syscall_resolve_name(name);
    if (nr == __NR_SCMP_ERROR) continue;
    int rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
    if (rc < 0) {
      fprintf(stderr, "seccomp_rule_add(%s): %s\n", name, strerror(-rc));
      return 2;
    }
    allowed++;
  }
  fclose(list);
  // NoNewPrivileges=yes: also what lets an unprivileged process load a filter.
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    perror("prctl(PR_SET_NO_NEW_PRIVS)");
    return 2;
  }
  int rc = seccomp_load(ctx);
  if (rc < 0) {
    fprintf(stderr, "seccomp_load: %s\n", strerror(-rc));
    return 2;
  }
  seccomp_release(ctx);
  fprintf(stderr, "seccomp-exec: %d system calls allowed, others fail with EPERM\n", allowed);
  execvp(argv[2], argv + 2);
  perror(argv[2]);
  return 127;
}
