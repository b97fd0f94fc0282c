/* Windows build: Winsock in place of <netinet/in.h> (see rdiag_winsock.h). */
#include "rdiag_winsock.h"
