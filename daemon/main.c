/* SPDX-License-Identifier: MIT */
/*
 * berthd: validate everything, then change the host, then serve. Nothing on the host is
 * touched until the flags and the config file have been read and checked, so a typo never
 * leaves a half-configured machine.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "containers.h"
#include "engine.h"
#include "flags.h"
#include "http.h"
#include "log.h"
#include "proxy.h"
#include "rlimits.h"

/* A pidfile naming a live berthd means another daemon owns this host's state. */
static int write_pidfile(const char *path, struct berr *err)
{
	char buf[32];
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n > 0) {
			long pid;

			buf[n] = '\0';
			pid = strtol(buf, NULL, 10);
			if (pid > 0 && pid != getpid() && kill((pid_t)pid, 0) == 0)
				return berr_set(err, -EEXIST, "pid file %s: berthd is already running with pid %ld", path, pid);
		}
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return berr_errno(err, -errno, "pid file %s", path);
	n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	if (write(fd, buf, (size_t)n) != n) {
		close(fd);
		return berr_errno(err, -EIO, "pid file %s: write", path);
	}
	close(fd);
	return 0;
}

/* One thread, one epoll: signals, the API, container exits (pidfds) and log growth (inotify). */
static int serve(int ep, int sfd, struct http_server *http, struct engine *engine)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int r = 0;

	ev.data.fd = http_fd(http);
	epoll_ctl(ep, EPOLL_CTL_ADD, ev.data.fd, &ev);
	for (;;) {
		struct epoll_event got[64];
		int timeout = http_timeout_ms(http), udp = proxy_tick(engine->proxy), drift = engine_timeout_ms(engine);
		int n;

		if (udp >= 0 && (timeout < 0 || udp < timeout))
			timeout = udp;
		if (drift >= 0 && (timeout < 0 || drift < timeout))
			timeout = drift;
		n = epoll_wait(ep, got, 64, timeout);

		if (n < 0 && errno != EINTR) {
			r = -errno;
			break;
		}
		for (int i = 0; i < n; i++) {
			if (got[i].data.fd == sfd) {
				struct signalfd_siginfo si;

				if (read(sfd, &si, sizeof(si)) == sizeof(si)) {
					log_info("received %s, shutting down (rules and containers stay)",
						 strsignal((int)si.ssi_signo));
					return 0;
				}
			} else if (got[i].data.fd == engine_watch_fd(engine)) {
				engine_on_watch(engine);
			} else if (got[i].data.fd != http_fd(http) &&
				   !proxy_on_event(engine->proxy, got[i].data.fd, got[i].events)) {
				containers_on_event(engine, got[i].data.fd);
			}
		}
		engine_tick(engine);
		http_run(http);
	}
	return r;
}

int main(int argc, char **argv)
{
	struct berth_config config;
	struct http_server *http = NULL;
	struct engine engine = { 0 };
	struct berr err = { 0 };
	struct epoll_event ev = { .events = EPOLLIN };
	sigset_t mask;
	int ep, sfd, r;

	config_defaults(&config);
	r = flags_parse(argc, argv, &config, &err);
	if (r == FLAGS_HELP) {
		flags_usage(stdout);
		return 0;
	}
	if (r == FLAGS_VERSION) {
		printf("berthd version %s\n", BERTH_VERSION);
		return 0;
	}
	if (r < 0) {
		fprintf(stderr, "berthd: %s\n", err.msg);
		return 1;
	}
	log_set_level(config.log_level);
	if (geteuid() != 0) {
		fprintf(stderr, "berthd: needs to run as root (it manages links, sysctls and the firewall)\n");
		return 1;
	}
	limits_raise_nofile();
	/* Signals are taken from a signalfd in the event loop, never asynchronously. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (config.pidfile[0] && write_pidfile(config.pidfile, &err) < 0) {
		fprintf(stderr, "berthd: %s\n", err.msg);
		return 1;
	}
	log_info("starting berthd %s (iptables=%s, bridge=%s)", BERTH_VERSION, config.iptables ? "true" : "false",
		 config.bridge);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (sfd < 0 || ep < 0) {
		fprintf(stderr, "berthd: event loop: %s\n", strerror(errno));
		return 1;
	}
	ev.data.fd = sfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev);
	r = engine_start(&engine, &config, ep, &err);
	if (r >= 0)
		r = http_start(&http, &engine, config.socket_path, &err);
	if (r < 0) {
		log_error("start: %s", err.msg);
		engine_stop(&engine);
		if (config.pidfile[0])
			unlink(config.pidfile);
		return 1;
	}
	log_info("firewall %s ready; API listening on %s", fw_describe(engine.fw), config.host);
	engine.wake = http_wake;
	engine.wake_ctx = http;
	r = serve(ep, sfd, http, &engine);
	engine.wake = NULL;
	http_stop(http);
	engine_stop(&engine);
	close(ep);
	close(sfd);
	if (config.pidfile[0])
		unlink(config.pidfile);
	if (r < 0)
		log_error("event loop: %s", strerror(-r));
	return r < 0 ? 1 : 0;
}
