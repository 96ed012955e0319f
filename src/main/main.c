/* mux(8): the daemon with pool-mode handlers only. */
#include "mux.h"

int
main(int argc, char *argv[])
{
	return (mux_main(argc, argv, NULL));
}
