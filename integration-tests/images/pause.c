/* The pod sandbox ("pause") process: holds the pod's namespaces, reaps nothing, exits on SIGINT/SIGTERM.
 * Built static (gcc -static) into a one-file image by build-images.sh. */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void stop(int sig) { (void)sig; _exit(0); }

static void reap(int sig) {
  (void)sig;
  /* adopted orphans (shared PID namespace) must not stay zombies */
  while (waitpid(-1, NULL, WNOHANG) > 0) {}
}

int main(void) {
  signal(SIGINT, stop);
  signal(SIGTERM, stop);
  signal(SIGCHLD, reap);
  for (;;) pause();
  return 1;
}
