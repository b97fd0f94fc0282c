/* Windows build: Winsock in place of <netdb.h> (see rdiag_winsock.h). */
#include "rdiag_winsock.h"
