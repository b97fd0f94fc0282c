/*
 * Windows build: <sys/wait.h>'s status macros over the plain exit codes
 * that platform/proc.h's Windows implementation hands back.
 */
#ifndef RDIAG_WIN_SYS_WAIT_H
#define RDIAG_WIN_SYS_WAIT_H
#define WIFEXITED(s)   1
#define WEXITSTATUS(s) ((s)&0xff)
#define WIFSIGNALED(s) 0
#define WTERMSIG(s)    0
#endif
