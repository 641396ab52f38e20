/* SPDX-License-Identifier: MIT */
/*
 * berthd: validate everything, claim what is ours, then change the host, then serve. Nothing on
 * the host is touched until every step that can refuse has passed: the flags and the config
 * file, the pidfile, the socket, the exec root and the data root (each locked for the daemon's
 * lifetime, so a second berthd sharing any of them is refused), and the store's migration. A
 * refused daemon leaves the host exactly as it found it, and removes what it made on disk.
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

#include "claim.h"
#include "containers.h"
#include "engine.h"
#include "execs.h"
#include "flags.h"
#include "http.h"
#include "networks.h"
#include "log.h"
#include "proxy.h"
#include "rlimits.h"
#include "supervise.h"

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
				   !proxy_on_event(engine->proxy, got[i].data.fd, got[i].events) &&
				   !http_on_event(http, got[i].data.fd, got[i].events)) {
				supervise_on_event(engine, got[i].data.fd);
			}
		}
		engine_tick(engine);
		http_run(http);
	}
	return r;
}

/* A start refused before the host was changed: give back the socket and what it made on disk. */
static int refused(struct claim *claim, int listen_fd, const char *socket_path)
{
	http_unbind(listen_fd, socket_path);
	claim_release(claim, true);
	return 1;
}

/* The configuration from the command line (and the config file it names), and the checks that
 * come before anything is touched. -1: go on; otherwise the status to exit with now. */
static int configure(int argc, char **argv, struct berth_config *config)
{
	struct berr err = { 0 };
	int r;

	config_defaults(config);
	r = flags_parse(argc, argv, config, &err);
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
	log_set_level(config->log_level);
	if (geteuid() != 0) {
		fprintf(stderr, "berthd: needs to run as root (it manages links, sysctls and the firewall)\n");
		return 1;
	}
	return -1;
}

/* The epoll set of the event loop, with a signalfd for SIGTERM and SIGINT in it. Signals are
 * taken from the signalfd in the event loop, never asynchronously. */
static int open_event_loop(int *ret_ep, int *ret_sfd)
{
	struct epoll_event ev = { .events = EPOLLIN };
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);

	*ret_sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	*ret_ep = epoll_create1(EPOLL_CLOEXEC);
	if (*ret_sfd < 0 || *ret_ep < 0) {
		fprintf(stderr, "berthd: event loop: %s\n", strerror(errno));
		return -1;
	}
	ev.data.fd = *ret_sfd;
	epoll_ctl(*ret_ep, EPOLL_CTL_ADD, *ret_sfd, &ev);
	return 0;
}

/* What makes this berthd the only one on its paths: the pidfile first (a second berthd on the
 * same paths is "already running"), the API socket, the exec root. */
static int claim_paths(struct claim *claim, const struct berth_config *config, int *listen_fd, struct berr *err)
{
	int r = config->pidfile[0] ? claim_pidfile(claim, config->pidfile, err) : 0;

	if (r >= 0)
		r = *listen_fd = http_bind(config->socket_path, err);
	if (r >= 0)
		r = claim_exec_root(claim, config->exec_root, err);
	return r;
}

int main(int argc, char **argv)
{
	struct berth_config config;
	struct http_server *http = NULL;
	struct claim claim = CLAIM_INIT;
	struct engine engine = { 0 };
	struct berr err = { 0 };
	int ep, sfd, r, listen_fd = -1;

	r = configure(argc, argv, &config);
	if (r >= 0)
		return r;
	limits_raise_nofile();
	if (open_event_loop(&ep, &sfd) < 0)
		return 1;
	if (claim_paths(&claim, &config, &listen_fd, &err) < 0) {
		fprintf(stderr, "berthd: %s\n", err.msg);
		return refused(&claim, listen_fd, config.socket_path);
	}
	log_info("starting berthd %s (iptables=%s, bridge=%s)", BERTH_VERSION, config.iptables ? "true" : "false",
		 config.bridge);
	r = engine_start(&engine, &config, ep, &err);
	if (r < 0) {
		log_error("start: %s", err.msg);
		return refused(&claim, listen_fd, config.socket_path);
	}
	networks_docs_ensure(&engine);
	r = claim_write_pid(&claim, &err);
	if (r >= 0)
		r = http_start(&http, &engine, listen_fd, config.socket_path, &err);
	if (r < 0) {
		log_error("start: %s", err.msg);
		engine_stop(&engine);
		http_unbind(listen_fd, config.socket_path);
		claim_release(&claim, false);
		return 1;
	}
	log_info("firewall %s ready; API listening on %s", fw_describe(engine.fw), config.host);
	engine.wake = http_wake;
	engine.wake_ctx = http;
	r = serve(ep, sfd, http, &engine);
	engine.wake = NULL;
	http_stop(http);
	execs_free(&engine);
	engine_stop(&engine);
	close(ep);
	close(sfd);
	claim_release(&claim, false);
	if (r < 0)
		log_error("event loop: %s", strerror(-r));
	return r < 0 ? 1 : 0;
}
