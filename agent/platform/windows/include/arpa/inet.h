/* Windows build: Winsock in place of <arpa/inet.h> (see rdiag_winsock.h). */
#include "rdiag_winsock.h"
