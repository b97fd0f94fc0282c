/* Windows build: Winsock in place of <netinet/tcp.h> (see rdiag_winsock.h). */
#include "rdiag_winsock.h"
