/* Windows build: Winsock in place of <sys/select.h> (see rdiag_winsock.h). */
#include "rdiag_winsock.h"
