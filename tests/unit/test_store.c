/* SPDX-License-Identifier: MIT */
/* lib/store against a real SQLite file in a scratch directory under /tmp. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "store/store.h"

static char tmp[] = "/tmp/berth-test-store-XXXXXX";

/* Tiny local stand-ins for model/cidr.c, which the store doesn't link against. */
static struct in_addr ip(const char *s)
{
	struct in_addr a = { 0 };

	inet_pton(AF_INET, s, &a);
	return a;
}

static struct cidr4 cidr(const char *s)
{
	struct cidr4 c = { 0 };
	char buf[32];
	char *slash;

	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(buf, '/');
	*slash = '\0';
	c.addr = ip(buf);
	c.prefix = (unsigned)atoi(slash + 1);
	return c;
}

static struct network net(const char *id, const char *name, const char *subnet, const char *gw)
{
	struct network n;

	memset(&n, 0, sizeof(n));
	snprintf(n.id, sizeof(n.id), "%s", id);
	snprintf(n.name, sizeof(n.name), "%s", name);
	snprintf(n.bridge, sizeof(n.bridge), "br-%.8s", id);
	n.subnet = cidr(subnet);
	n.gateway = ip(gw);
	n.icc = true;
	n.masquerade = true;
	return n;
}

static bool same_network(const struct network *a, const struct network *b)
{
	return strcmp(a->id, b->id) == 0 && strcmp(a->name, b->name) == 0 &&
	       strcmp(a->bridge, b->bridge) == 0 &&
	       a->subnet.addr.s_addr == b->subnet.addr.s_addr && a->subnet.prefix == b->subnet.prefix &&
	       a->gateway.s_addr == b->gateway.s_addr &&
	       a->ip_range.addr.s_addr == b->ip_range.addr.s_addr &&
	       a->ip_range.prefix == b->ip_range.prefix && a->internal == b->internal &&
	       a->icc == b->icc && a->masquerade == b->masquerade &&
	       a->host_binding.s_addr == b->host_binding.s_addr && a->mtu == b->mtu &&
	       a->created == b->created;
}

/* Reads PRAGMA user_version through a connection of its own; -1 on error. */
static int user_version(const char *path)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int v = -1;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static int set_user_version_99(const char *path)
{
	sqlite3 *db = NULL;
	int rc;

	rc = sqlite3_open(path, &db);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL);
	sqlite3_close(db);
	return rc;
}

static unsigned mode_of(const char *path)
{
	struct stat st;

	return stat(path, &st) < 0 ? 0 : (unsigned)(st.st_mode & 07777);
}

static bool starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(path);
}

static void test_open(const char *root, const char *db)
{
	struct store *s = NULL;
	struct berr err = { 0 };
	struct stat st;
	int r;

	r = store_open(&s, root, &err);
	CHECK("open: creates missing directories", r == 0 && s);
	CHECK("open: data root is a directory", stat(root, &st) == 0 && S_ISDIR(st.st_mode));
	CHECK("open: data root mode 0700", mode_of(root) == 0700);
	CHECK("open: db file mode 0600", mode_of(db) == 0600);
	CHECK("migrate: empty db gets the latest user_version (3)", user_version(db) == 3);
	store_close(s);
	store_close(NULL);
	CHECK("close: NULL accepted", true);

	r = store_open(&s, root, &err);
	CHECK("open: existing db opens again", r == 0 && s);
	CHECK("open: reopen keeps user_version", user_version(db) == 3);
	store_close(s);
}

static void test_meta(struct store *s)
{
	struct berr err = { 0 };
	char *v = (char *)"junk";
	int r;

	r = store_meta_get(s, "forward_policy_set", &v, &err);
	CHECK("meta: absent key gives 0", r == 0);
	CHECK("meta: absent key gives NULL", v == NULL);
	r = store_meta_set(s, "forward_policy_set", "1", &err);
	CHECK("meta: set", r == 0);
	r = store_meta_get(s, "forward_policy_set", &v, &err);
	CHECK_STR("meta: get after set", r == 0 ? v : NULL, "1");
	free(v);
	r = store_meta_set(s, "forward_policy_set", "0", &err);
	CHECK("meta: overwrite", r == 0);
	r = store_meta_get(s, "forward_policy_set", &v, &err);
	CHECK_STR("meta: get after overwrite", r == 0 ? v : NULL, "0");
	free(v);
	r = store_meta_set(s, "scratch", "x", &err);
	if (r == 0)
		r = store_meta_set(s, "scratch", NULL, &err);
	if (r == 0)
		r = store_meta_get(s, "scratch", &v, &err);
	CHECK("meta: set NULL deletes", r == 0 && v == NULL);
	r = store_meta_get(s, "", &v, &err);
	CHECK("meta: empty key refused", r == -EINVAL);
}

static void test_networks(struct store *s, const char *db)
{
	struct network a, b, c, d, got, *list = NULL;
	struct berr err = { 0 };
	char prefix[700];
	size_t n = 0;
	int r;

	a = net("aaaa1111", "bridge", "172.17.0.0/16", "172.17.0.1");
	a.ip_range = cidr("172.17.128.0/17");
	a.host_binding = ip("127.0.0.1");
	a.mtu = 1450;
	a.internal = true;
	a.icc = false;
	b = net("aaaa2222", "front", "172.18.0.0/16", "172.18.0.1");
	c = net("bbbb3333", "back", "10.1.0.0/24", "10.1.0.1");
	c.created = 10;
	d = net("cccc4444", "last", "10.2.0.0/24", "10.2.0.1");

	r = store_network_put(s, &a, &err);
	CHECK("network: put first", r == 0);
	CHECK("network: first gets created 1", a.created == 1);
	r = store_network_put(s, &b, &err);
	CHECK("network: second gets created 2", r == 0 && b.created == 2);
	r = store_network_put(s, &c, &err);
	CHECK("network: explicit created kept", r == 0 && c.created == 10);
	r = store_network_put(s, &d, &err);
	CHECK("network: next after explicit is max+1", r == 0 && d.created == 11);

	memset(&got, 0, sizeof(got));
	r = store_network_get(s, "bridge", &got, &err);
	CHECK("network: get by name", r == 0);
	CHECK("network: every field round-trips", same_network(&got, &a));
	r = store_network_get(s, "aaaa2222", &got, &err);
	CHECK("network: get by exact id", r == 0 && strcmp(got.name, "front") == 0);
	r = store_network_get(s, "bbbb", &got, &err);
	CHECK("network: get by unique id prefix", r == 0 && strcmp(got.name, "back") == 0);
	r = store_network_get(s, "aaaa", &got, &err);
	CHECK("network: ambiguous prefix is -ENOTUNIQ", r == -ENOTUNIQ);
	r = store_network_get(s, "nope", &got, &err);
	CHECK("network: unknown is -ENOENT", r == -ENOENT && err.code == -ENOENT);
	snprintf(prefix, sizeof(prefix), "store %s: network nope", db);
	CHECK("network: message names the store and network", starts_with(err.msg, prefix));
	r = store_network_get(s, "", &got, &err);
	CHECK("network: empty is -ENOENT, not a prefix of all", r == -ENOENT);

	r = store_network_list(s, &list, &n, &err);
	CHECK("network: list", r == 0 && n == 4 && list);
	CHECK("network: list oldest first",
	      n == 4 && strcmp(list[0].id, a.id) == 0 && strcmp(list[1].id, b.id) == 0 &&
	      strcmp(list[2].id, c.id) == 0 && strcmp(list[3].id, d.id) == 0);
	CHECK("network: list rows complete", n == 4 && same_network(&list[0], &a));
	free(list);

	/* Update by id: fields change, created stays. */
	b.created = 999;
	b.mtu = 9000;
	snprintf(b.name, sizeof(b.name), "frontend");
	r = store_network_put(s, &b, &err);
	CHECK("network: update by id", r == 0);
	CHECK("network: update keeps created", b.created == 2);
	r = store_network_get(s, "frontend", &got, &err);
	CHECK("network: update visible by new name", r == 0 && got.mtu == 9000 && got.created == 2);
	r = store_network_get(s, "front", &got, &err);
	CHECK("network: old name gone", r == -ENOENT);

	/* Same name under another id. */
	c = net("dddd5555", "bridge", "10.9.0.0/24", "10.9.0.1");
	berr_clear(&err);
	r = store_network_put(s, &c, &err);
	CHECK("network: duplicate name is -EEXIST", r == -EEXIST && err.code == -EEXIST);
	CHECK("network: duplicate message has sqlite's reason", strstr(err.msg, "UNIQUE") != NULL);
	r = store_network_get(s, "dddd5555", &got, &err);
	CHECK("network: refused put left nothing", r == -ENOENT);

	c = net("eeee6666", "x", "10.9.0.0/24", "10.9.0.1");
	memset(c.name, 'n', sizeof(c.name));
	r = store_network_put(s, &c, &err);
	CHECK("network: unterminated name is -ENAMETOOLONG", r == -ENAMETOOLONG);
	c = net("eeee6666", "x", "10.9.0.0/24", "10.9.0.1");
	memset(c.bridge, 'b', sizeof(c.bridge));
	r = store_network_put(s, &c, &err);
	CHECK("network: unterminated bridge is -ENAMETOOLONG", r == -ENAMETOOLONG);
	c = net("", "x", "10.9.0.0/24", "10.9.0.1");
	r = store_network_put(s, &c, &err);
	CHECK("network: empty id is -EINVAL", r == -EINVAL);

	r = store_network_delete(s, "cccc4444", &err);
	CHECK("network: delete", r == 0);
	r = store_network_get(s, "last", &got, &err);
	CHECK("network: deleted is gone", r == -ENOENT);
	r = store_network_delete(s, "cccc4444", &err);
	CHECK("network: delete again is -ENOENT", r == -ENOENT);
	r = store_network_delete(s, "bbbb", &err);
	CHECK("network: delete takes no prefix", r == -ENOENT);
}

static size_t count_lines(char **lines)
{
	size_t i = 0;

	while (lines && lines[i])
		i++;
	return i;
}

static void test_owned(struct store *s)
{
	char *const three[] = { "-t nat -A POSTROUTING -s 172.17.0.0/16 -j MASQUERADE",
				"-t filter -A FORWARD -o docker0 -j ACCEPT",
				"-t filter -A FORWARD -i docker0 -j ACCEPT" };
	char *const one[] = { "-t filter -N DOCKER" };
	char *const nft[] = { "table ip berth" };
	struct berr err = { 0 };
	char **lines = NULL;
	int r;

	r = store_owned_get(s, "iptables", &lines, &err);
	CHECK("owned: unknown backend is an empty list", r == 0 && lines && !lines[0]);
	store_lines_free(lines);

	r = store_owned_set(s, "iptables", three, 3, &err);
	CHECK("owned: set three", r == 0);
	r = store_owned_set(s, "nftables", nft, 1, &err);
	CHECK("owned: set other backend", r == 0);
	r = store_owned_get(s, "iptables", &lines, &err);
	CHECK("owned: get three", r == 0 && count_lines(lines) == 3);
	CHECK("owned: order kept",
	      count_lines(lines) == 3 && strcmp(lines[0], three[0]) == 0 &&
	      strcmp(lines[1], three[1]) == 0 && strcmp(lines[2], three[2]) == 0);
	store_lines_free(lines);

	r = store_owned_set(s, "iptables", one, 1, &err);
	CHECK("owned: set replaces", r == 0);
	r = store_owned_get(s, "iptables", &lines, &err);
	CHECK("owned: only the new list remains", r == 0 && count_lines(lines) == 1 &&
	      strcmp(lines[0], one[0]) == 0);
	store_lines_free(lines);
	r = store_owned_get(s, "nftables", &lines, &err);
	CHECK("owned: other backend untouched", r == 0 && count_lines(lines) == 1 &&
	      strcmp(lines[0], nft[0]) == 0);
	store_lines_free(lines);

	r = store_owned_set(s, "nftables", NULL, 0, &err);
	CHECK("owned: set empty", r == 0);
	r = store_owned_get(s, "nftables", &lines, &err);
	CHECK("owned: empty list after set empty", r == 0 && count_lines(lines) == 0);
	store_lines_free(lines);
	store_lines_free(NULL);
}

static void test_transactions(struct store *s)
{
	char *const lines[] = { "rolled back" };
	struct network n = net("ffff7777", "ghost", "10.7.0.0/24", "10.7.0.1");
	struct berr err = { 0 };
	struct network got;
	char **owned = NULL;
	char *v = NULL;
	int r;

	store_rollback(s);
	CHECK("tx: rollback without a transaction is a no-op", true);
	r = store_commit(s, &err);
	CHECK("tx: commit without a transaction is -EINVAL", r == -EINVAL);

	r = store_begin(s, &err);
	CHECK("tx: begin", r == 0);
	r = store_begin(s, &err);
	CHECK("tx: nested begin is -EINVAL", r == -EINVAL);
	r = store_meta_set(s, "tx", "yes", &err);
	if (r == 0)
		r = store_network_put(s, &n, &err);
	if (r == 0)
		r = store_owned_set(s, "iptables", lines, 1, &err);
	CHECK("tx: changes inside a transaction", r == 0);
	r = store_network_get(s, "ghost", &got, &err);
	CHECK("tx: change visible inside the transaction", r == 0);
	store_rollback(s);

	r = store_meta_get(s, "tx", &v, &err);
	CHECK("tx: rollback discards meta", r == 0 && v == NULL);
	free(v);
	r = store_network_get(s, "ghost", &got, &err);
	CHECK("tx: rollback discards network", r == -ENOENT);
	r = store_owned_get(s, "iptables", &owned, &err);
	CHECK("tx: rollback discards owned rules",
	      r == 0 && count_lines(owned) == 1 && strcmp(owned[0], "-t filter -N DOCKER") == 0);
	store_lines_free(owned);
	store_rollback(s);
	CHECK("tx: second rollback is a no-op", true);

	/* A failing step inside the caller's transaction undoes only itself. */
	r = store_begin(s, &err);
	if (r == 0)
		r = store_meta_set(s, "tx", "committed", &err);
	CHECK("tx: begin and change", r == 0);
	n = net("ffff8888", "bridge", "10.8.0.0/24", "10.8.0.1");
	r = store_network_put(s, &n, &err);
	CHECK("tx: failing put inside transaction", r == -EEXIST);
	r = store_commit(s, &err);
	CHECK("tx: commit", r == 0);
	r = store_meta_get(s, "tx", &v, &err);
	CHECK_STR("tx: committed change persists", r == 0 ? v : NULL, "committed");
	free(v);
}

static void test_reopen(const char *root)
{
	struct store *s = NULL;
	struct berr err = { 0 };
	struct network *list = NULL, got;
	char **lines = NULL;
	char *v = NULL;
	size_t n = 0;
	int r;

	r = store_open(&s, root, &err);
	CHECK("reopen: open", r == 0);
	if (r < 0)
		return;
	r = store_meta_get(s, "forward_policy_set", &v, &err);
	CHECK_STR("reopen: meta kept", r == 0 ? v : NULL, "0");
	free(v);
	r = store_network_list(s, &list, &n, &err);
	CHECK("reopen: networks kept", r == 0 && n == 3);
	free(list);
	r = store_network_get(s, "bridge", &got, &err);
	CHECK("reopen: network fields kept",
	      r == 0 && got.mtu == 1450 && got.internal && !got.icc && got.ip_range.prefix == 17);
	r = store_owned_get(s, "iptables", &lines, &err);
	CHECK("reopen: owned rules kept", r == 0 && count_lines(lines) == 1);
	store_lines_free(lines);
	store_close(s);
}

static void test_migrations(const char *base)
{
	char root[512], db[600], prefix[700];
	struct store *s = NULL;
	struct berr err = { 0 };
	int fd, r;

	/* An empty file (as left by `touch`, with a loose mode) is an empty database. */
	snprintf(root, sizeof(root), "%s/empty", base);
	snprintf(db, sizeof(db), "%s/berth.db", root);
	mkdir(root, 0755);
	chmod(root, 0755);      /* whatever the umask */
	fd = open(db, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	if (fd >= 0)
		close(fd);
	chmod(db, 0644);
	r = store_open(&s, root, &err);
	CHECK("migrate: zero-length file opens", r == 0 && s);
	CHECK("migrate: zero-length file gets the latest user_version (3)", user_version(db) == 3);
	CHECK("open: existing db narrowed to 0600", mode_of(db) == 0600);
	CHECK("open: existing data root mode left alone", mode_of(root) == 0755);
	store_close(s);

	/* A file from a newer berth is refused, and left as it was. */
	r = set_user_version_99(db);
	CHECK("migrate: set future version", r == SQLITE_OK);
	s = (struct store *)&err;          /* must be reset to NULL on failure */
	r = store_open(&s, root, &err);
	CHECK("migrate: newer schema is -ENOTSUP", r == -ENOTSUP && s == NULL);
	snprintf(prefix, sizeof(prefix), "store %s: schema version 99", db);
	CHECK("migrate: message names the file and version", starts_with(err.msg, prefix));
	CHECK("migrate: newer schema untouched", user_version(db) == 99);

	/* A data root that is a file. */
	snprintf(root, sizeof(root), "%s/empty/berth.db", base);
	r = store_open(&s, root, &err);
	CHECK("open: data root that is a file is -ENOTDIR", r == -ENOTDIR && s == NULL);
	r = store_open(&s, "", &err);
	CHECK("open: empty data root is -EINVAL", r == -EINVAL);
}

static bool contains(const char *s, const char *part)
{
	return strstr(s, part) != NULL;
}

/* The lock is a POSIX record lock, which excludes other processes only: try from a child. 0 when
 * the child's open was -EBUSY with the expected message. */
static int open_in_child(const char *root)
{
	int status = -1;
	pid_t pid = fork();

	if (pid == 0) {
		struct store *s = NULL;
		struct berr err = { 0 };
		int r = store_open(&s, root, &err);

		_exit(r == -EBUSY && !s && contains(err.msg, "in use by another berthd") ? 0 : 1);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* What store_open refuses rather than follows or shares: the data root or berth.db as a symlink,
 * a data root open to others, and a data root another store has open (the lock). */
static void test_refusals(const char *base)
{
	char root[512], db[600], target[600], link[600];
	struct store *s = NULL, *second = NULL;
	struct berr err = { 0 };
	struct stat st;
	int r, fd;

	snprintf(root, sizeof(root), "%s/real", base);
	snprintf(link, sizeof(link), "%s/link", base);
	mkdir(root, 0700);
	CHECK("refuse: setup, a link to a directory", symlink(root, link) == 0);
	r = store_open(&s, link, &err);
	CHECK("refuse: data root that is a symlink is -ELOOP", r == -ELOOP && s == NULL);
	CHECK("refuse: ... and says so", contains(err.msg, "link: is a symbolic link"));
	snprintf(db, sizeof(db), "%s/berth.db", root);
	CHECK("refuse: nothing created through the link", access(db, F_OK) < 0);
	snprintf(link, sizeof(link), "%s/link/", base);
	r = store_open(&s, link, &err);
	CHECK("refuse: a trailing slash does not follow it either", r == -ELOOP && s == NULL);

	chmod(root, 0777);
	r = store_open(&s, root, &err);
	CHECK("refuse: world-writable data root is -EPERM", r == -EPERM && s == NULL);
	CHECK("refuse: ... and names the mode", contains(err.msg, "writable by group or others (mode 0777"));
	chmod(root, 0700);

	snprintf(target, sizeof(target), "%s/target", base);
	fd = open(target, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	if (fd >= 0)
		close(fd);
	CHECK("refuse: setup, berth.db a link to a file", symlink(target, db) == 0);
	r = store_open(&s, root, &err);
	CHECK("refuse: berth.db that is a symlink is -ELOOP", r == -ELOOP && s == NULL);
	CHECK("refuse: ... the target left empty", stat(target, &st) == 0 && st.st_size == 0 && mode_of(target) == 0644);
	unlink(db);

	r = store_open(&s, root, &err);
	CHECK("lock: first open", r == 0 && s);
	CHECK("lock: another process's open of the same data root is -EBUSY, saying it is in use",
	      open_in_child(root) == 0);
	store_close(s);
	r = store_open(&second, root, &err);
	CHECK("lock: released by close", r == 0 && second);
	store_close(second);
}

int main(void)
{
	char root[512], db[600];
	struct store *s = NULL;
	struct berr err = { 0 };
	int r;

	if (!mkdtemp(tmp)) {
		perror("mkdtemp");
		return 1;
	}
	/* Nested and missing: open must create every level. Trailing slash on purpose. */
	snprintf(root, sizeof(root), "%s/var/lib/berth/", tmp);
	snprintf(db, sizeof(db), "%s/var/lib/berth/berth.db", tmp);

	test_open(root, db);
	r = store_open(&s, root, &err);
	CHECK("open for the data tests", r == 0);
	if (r == 0) {
		test_meta(s);
		test_networks(s, db);
		test_owned(s);
		test_transactions(s);
		store_close(s);
		test_reopen(root);
	} else {
		printf("# %s\n", err.msg);
	}
	test_migrations(tmp);
	test_refusals(tmp);

	nftw(tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	CHECK("scratch directory removed", access(tmp, F_OK) < 0);
	CHECK_DONE();
}
