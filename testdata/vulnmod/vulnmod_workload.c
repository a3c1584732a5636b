// SPDX-License-Identifier: GPL-2.0
/*
 * vulnmod_workload: the benign use of /dev/vulnmod (vulnmod.c), the
 * workload its model is prepared under and the traffic it must let through.
 *
 *   vulnmod_workload ROUNDS FIRST LAST
 *
 * Keeps records in slots [FIRST, LAST): each round picks a slot and frees
 * its record if it holds one, else stores a new record there (a line of text
 * of 16 to 2048 bytes, as a message store would). ROUNDS 0: runs until
 * SIGTERM, at about a thousand rounds a second, and prints "ready" once
 * records are stored. Frees every record it holds before it exits 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "testdata/vulnmod/vulnmod.h"

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static int request(int fd, unsigned long cmd, __u32 index, __u32 size, const void *data)
{
	struct vuln_request req = {.index = index, .size = size, .data = (__u64)(unsigned long)data};

	return ioctl(fd, cmd, &req);
}

int main(int argc, char **argv)
{
	static char record[2048];
	int held[VULN_SLOTS] = {0};
	long rounds, first, last;
	unsigned int seed = 1;
	int fd;

	if (argc != 4) {
		fprintf(stderr, "usage: %s ROUNDS FIRST LAST\n", argv[0]);
		return 2;
	}
	rounds = strtol(argv[1], NULL, 10);
	first = strtol(argv[2], NULL, 10);
	last = strtol(argv[3], NULL, 10);
	if (rounds < 0 || first < 0 || last > VULN_SLOTS || first >= last) {
		fprintf(stderr, "%s: bad arguments\n", argv[0]);
		return 2;
	}
	fd = open("/dev/vulnmod", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		perror("/dev/vulnmod");
		return 1;
	}
	signal(SIGTERM, on_term);
	for (long round = 0; (rounds == 0 || round < rounds) && !stop; ++round) {
		int slot = first + rand_r(&seed) % (last - first);

		if (held[slot]) {
			if (request(fd, VULN_FREE, slot, 0, NULL) != 0) {
				perror("VULN_FREE");
				return 1;
			}
			held[slot] = 0;
		} else {
			__u32 size = 16 + rand_r(&seed) % (sizeof(record) - 16);
			int n = snprintf(record, sizeof(record), "record %ld for slot %d: ", round, slot);

			for (__u32 i = n; i < size; ++i)
				record[i] = 'a' + (round + i) % 26;
			if (request(fd, VULN_ALLOC, slot, size, NULL) != 0 ||
			    request(fd, VULN_WRITE, slot, size, record) != 0) {
				perror("VULN_ALLOC/VULN_WRITE");
				return 1;
			}
			held[slot] = 1;
		}
		if (rounds == 0) {
			if (round == 4 * (last - first)) {
				printf("ready\n");
				fflush(stdout);
			}
			usleep(1000);
		}
	}
	for (int slot = first; slot < last; ++slot) {
		if (held[slot] && request(fd, VULN_FREE, slot, 0, NULL) != 0) {
			perror("VULN_FREE");
			return 1;
		}
	}
	close(fd);
	return 0;
}
