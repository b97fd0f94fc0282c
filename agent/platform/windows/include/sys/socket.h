/* Windows build: Winsock in place of <sys/socket.h> (see rdiag_winsock.h). */
#include "rdiag_winsock.h"
