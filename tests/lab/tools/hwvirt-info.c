/*
 * hwvirt-info: what /dev/hwvirt says about itself.
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or later.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/hwvirt.h>

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "/dev/hwvirt";
	int fd, version;

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "hwvirt-info: %s: %s\n", path, strerror(errno));
		return 1;
	}
	version = ioctl(fd, HWVIRT_GET_API_VERSION, 0);
	if (version < 0) {
		fprintf(stderr, "hwvirt-info: HWVIRT_GET_API_VERSION: %s\n",
			strerror(errno));
		return 1;
	}
	printf("api_version=%d\n", version);
	close(fd);
	return version == HWVIRT_API_VERSION ? 0 : 1;
}
