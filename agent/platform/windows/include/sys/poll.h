/* Windows build: Winsock in place of <sys/poll.h> (see rdiag_winsock.h). */
#include "rdiag_winsock.h"
