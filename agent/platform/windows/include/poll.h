/* Windows build: Winsock in place of <poll.h> (see rdiag_winsock.h). */
#include "rdiag_winsock.h"
