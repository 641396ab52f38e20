/* SPDX-License-Identifier: MIT */
#include "rlimits.h"

#include <dirent.h>
#include <errno.h>
#include <string.h>

#include "log.h"

static struct nofile_limit nofile;
static bool raised;

void limits_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0) {
		log_warn("descriptor limit: getrlimit: %s", strerror(errno));
		return;
	}
	nofile = (struct nofile_limit){ .start = rl.rlim_cur, .soft = rl.rlim_cur, .hard = rl.rlim_max };
	raised = true;
	if (rl.rlim_cur == rl.rlim_max) {
		log_info("descriptor limit: %llu (soft = hard)", (unsigned long long)rl.rlim_cur);
		return;
	}
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
		log_warn("descriptor limit: cannot raise the soft limit %llu to the hard limit %llu: %s",
			 (unsigned long long)nofile.start, (unsigned long long)nofile.hard, strerror(errno));
		return;
	}
	nofile.soft = rl.rlim_cur;
	log_info("descriptor limit: soft limit raised from %llu to the hard limit %llu", (unsigned long long)nofile.start,
		 (unsigned long long)nofile.soft);
}

struct nofile_limit limits_nofile(void)
{
	struct rlimit rl;

	if (raised || getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return nofile;
	return (struct nofile_limit){ .start = rl.rlim_cur, .soft = rl.rlim_cur, .hard = rl.rlim_max };
}

long limits_open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	long n = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n - 1;     /* the directory's own descriptor */
}
