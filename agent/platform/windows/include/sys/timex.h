/*
 * Windows build: the kernel clock states and status bits of Linux's
 * <sys/timex.h>, so that system_judge.c's clock rule compiles; rdiag.exe's
 * system collector fills no struct system_clock from adjtimex().
 */
#ifndef RDIAG_WIN_SYS_TIMEX_H
#define RDIAG_WIN_SYS_TIMEX_H
#define TIME_OK    0
#define TIME_INS   1
#define TIME_DEL   2
#define TIME_OOP   3
#define TIME_WAIT  4
#define TIME_ERROR 5
#define STA_UNSYNC 0x0040
#endif
