/* SPDX-License-Identifier: MIT */
/*
 * The networks table: one row per struct network. Addresses are kept as dotted text and
 * prefixes as "A.B.C.D/N" so the database reads well with the sqlite3 shell when debugging a
 * host; the conversion is done here with inet_ntop/inet_pton rather than model/cidr.c so the
 * store depends on nothing but the struct layout.
 */
#include "store/store_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Column order shared by every SELECT below and read_row(). */
#define NETWORK_COLUMNS \
	"id, name, bridge, subnet, gateway, ip_range, internal, icc, masquerade, host_binding, " \
	"mtu, created"

enum {
	COL_ID, COL_NAME, COL_BRIDGE, COL_SUBNET, COL_GATEWAY, COL_IP_RANGE, COL_INTERNAL, COL_ICC,
	COL_MASQUERADE, COL_HOST_BINDING, COL_MTU, COL_CREATED, COL_COUNT
};

static void format_addr(struct in_addr a, char *buf, size_t len)
{
	if (!inet_ntop(AF_INET, &a, buf, len))
		buf[0] = '\0';      /* can't happen: the buffers are INET_ADDRSTRLEN or more */
}

static void format_cidr(struct cidr4 c, char *buf, size_t len)
{
	char addr[INET_ADDRSTRLEN];

	format_addr(c.addr, addr, sizeof(addr));
	snprintf(buf, len, "%s/%u", addr, c.prefix);
}

static bool parse_addr(const char *text, struct in_addr *ret)
{
	return inet_pton(AF_INET, text, ret) == 1;
}

/* Only what format_cidr writes: "A.B.C.D/N", N decimal 0..32 without sign or leading zeros. */
static bool parse_cidr(const char *text, struct cidr4 *ret)
{
	char addr[INET_ADDRSTRLEN];
	const char *slash, *p;
	unsigned prefix = 0;

	slash = strchr(text, '/');
	if (!slash || (size_t)(slash - text) >= sizeof(addr))
		return false;
	memcpy(addr, text, slash - text);
	addr[slash - text] = '\0';
	p = slash + 1;
	if (*p < '0' || *p > '9' || (p[0] == '0' && p[1] != '\0'))
		return false;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return false;
		prefix = prefix * 10 + (unsigned)(*p - '0');
		if (prefix > 32)
			return false;
	}
	ret->prefix = prefix;
	return parse_addr(addr, &ret->addr);
}

/* A fixed-size field must hold its NUL; otherwise the value is longer than the struct allows. */
static bool terminated(const char *field, size_t size)
{
	return memchr(field, '\0', size) != NULL;
}

static int check_network(struct store *s, const struct network *n, struct berr *err)
{
	if (!terminated(n->id, sizeof(n->id)))
		return berr_set(err, -ENAMETOOLONG, "store %s: network: id longer than %d",
				s->path, NETWORK_ID_LEN);
	if (!terminated(n->name, sizeof(n->name)))
		return berr_set(err, -ENAMETOOLONG, "store %s: network %s: name longer than %d",
				s->path, n->id, NETWORK_NAME_MAX);
	if (!terminated(n->bridge, sizeof(n->bridge)))
		return berr_set(err, -ENAMETOOLONG, "store %s: network %s: bridge longer than %d",
				s->path, n->id, IFNAMSIZ - 1);
	if (!n->id[0])
		return berr_set(err, -EINVAL, "store %s: network: empty id", s->path);
	if (!n->name[0])
		return berr_set(err, -EINVAL, "store %s: network %s: empty name", s->path, n->id);
	if (n->subnet.prefix > 32 || n->ip_range.prefix > 32)
		return berr_set(err, -EINVAL, "store %s: network %s: prefix longer than 32",
				s->path, n->id);
	return 0;
}

static int copy_column(struct store *s, sqlite3_stmt *st, int col, char *dst, size_t size,
		       const char *id, struct berr *err)
{
	const unsigned char *text = sqlite3_column_text(st, col);
	size_t len;

	if (!text)
		return berr_set(err, -EIO, "store %s: network %s: column %s is NULL", s->path,
				id ? id : "?", sqlite3_column_name(st, col));
	len = strlen((const char *)text);
	if (len >= size)
		return berr_set(err, -ENAMETOOLONG, "store %s: network %s: column %s longer than %zu",
				s->path, id ? id : "?", sqlite3_column_name(st, col), size - 1);
	memcpy(dst, text, len + 1);
	return 0;
}

/* Columns holding text this file wrote; anything unparseable means the file was edited. */
static int read_row(struct store *s, sqlite3_stmt *st, struct network *ret, struct berr *err)
{
	char subnet[CIDR4_STR_MAX], gateway[INET_ADDRSTRLEN], ip_range[CIDR4_STR_MAX];
	char host_binding[INET_ADDRSTRLEN];
	struct network n;
	sqlite3_int64 mtu;
	int r;

	memset(&n, 0, sizeof(n));
	r = copy_column(s, st, COL_ID, n.id, sizeof(n.id), NULL, err);
	if (r == 0)
		r = copy_column(s, st, COL_NAME, n.name, sizeof(n.name), n.id, err);
	if (r == 0)
		r = copy_column(s, st, COL_BRIDGE, n.bridge, sizeof(n.bridge), n.id, err);
	if (r == 0)
		r = copy_column(s, st, COL_SUBNET, subnet, sizeof(subnet), n.id, err);
	if (r == 0)
		r = copy_column(s, st, COL_GATEWAY, gateway, sizeof(gateway), n.id, err);
	if (r == 0)
		r = copy_column(s, st, COL_IP_RANGE, ip_range, sizeof(ip_range), n.id, err);
	if (r == 0)
		r = copy_column(s, st, COL_HOST_BINDING, host_binding, sizeof(host_binding), n.id,
				err);
	if (r < 0)
		return r;
	if (!parse_cidr(subnet, &n.subnet))
		return berr_set(err, -EIO, "store %s: network %s: bad subnet \"%s\"", s->path, n.id,
				subnet);
	if (!parse_addr(gateway, &n.gateway))
		return berr_set(err, -EIO, "store %s: network %s: bad gateway \"%s\"", s->path,
				n.id, gateway);
	if (!parse_cidr(ip_range, &n.ip_range))
		return berr_set(err, -EIO, "store %s: network %s: bad ip range \"%s\"", s->path,
				n.id, ip_range);
	if (!parse_addr(host_binding, &n.host_binding))
		return berr_set(err, -EIO, "store %s: network %s: bad host binding \"%s\"", s->path,
				n.id, host_binding);
	mtu = sqlite3_column_int64(st, COL_MTU);
	if (mtu < 0 || (unsigned long long)mtu > (unsigned long long)(unsigned)-1)
		return berr_set(err, -EIO, "store %s: network %s: bad mtu %lld", s->path, n.id,
				(long long)mtu);
	n.mtu = (unsigned)mtu;
	n.internal = sqlite3_column_int(st, COL_INTERNAL) != 0;
	n.icc = sqlite3_column_int(st, COL_ICC) != 0;
	n.masquerade = sqlite3_column_int(st, COL_MASQUERADE) != 0;
	n.created = sqlite3_column_int64(st, COL_CREATED);
	*ret = n;
	return 0;
}

/* A network's addresses as the text the table keeps. */
struct network_text {
	char subnet[CIDR4_STR_MAX], gateway[INET_ADDRSTRLEN], ip_range[CIDR4_STR_MAX];
	char host_binding[INET_ADDRSTRLEN];
};

static void format_network(const struct network *n, struct network_text *t)
{
	format_cidr(n->subnet, t->subnet, sizeof(t->subnet));
	format_addr(n->gateway, t->gateway, sizeof(t->gateway));
	format_cidr(n->ip_range, t->ip_range, sizeof(t->ip_range));
	format_addr(n->host_binding, t->host_binding, sizeof(t->host_binding));
}

/* Binds ?1..?12 of store_network_put's statement; an SQLite result code (SQLITE_OK: all bound).
 * n and t must outlive the statement's step (SQLITE_STATIC). */
static int bind_network(sqlite3_stmt *st, const struct network *n, const struct network_text *t)
{
	int rc = sqlite3_bind_text(st, 1, n->id, -1, SQLITE_STATIC);

	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 2, n->name, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 3, n->bridge, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 4, t->subnet, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 5, t->gateway, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 6, t->ip_range, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 7, n->internal ? 1 : 0);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 8, n->icc ? 1 : 0);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 9, n->masquerade ? 1 : 0);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 10, t->host_binding, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 11, (sqlite3_int64)n->mtu);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 12, n->created);
	return rc;
}

int store_network_put(struct store *s, struct network *n, struct berr *err)
{
	struct network_text text;
	sqlite3_stmt *st;
	int r, rc;

	r = check_network(s, n, err);
	if (r < 0)
		return r;
	format_network(n, &text);
	/* One statement, so it is atomic without a transaction: the new `created` is computed
	 * under the write lock, and an update leaves `created` alone. RETURNING gives back the
	 * value in force either way. A name taken by another id fails the UNIQUE constraint. */
	r = store_prepare(s,
			  "INSERT INTO networks (" NETWORK_COLUMNS ") VALUES"
			  " (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11,"
			  "  CASE WHEN ?12 = 0"
			  "   THEN (SELECT COALESCE(MAX(created), 0) + 1 FROM networks)"
			  "   ELSE ?12 END)"
			  " ON CONFLICT (id) DO UPDATE SET"
			  "  name = excluded.name, bridge = excluded.bridge,"
			  "  subnet = excluded.subnet, gateway = excluded.gateway,"
			  "  ip_range = excluded.ip_range, internal = excluded.internal,"
			  "  icc = excluded.icc, masquerade = excluded.masquerade,"
			  "  host_binding = excluded.host_binding, mtu = excluded.mtu"
			  " RETURNING created",
			  &st, err, "network put");
	if (r < 0)
		return r;
	rc = bind_network(st, n, &text);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		n->created = sqlite3_column_int64(st, 0);
		rc = sqlite3_step(st);
	}
	if (rc != SQLITE_DONE)
		r = store_fail(s, rc, err, "network %s (%s): put", n->id, n->name);
	store_done(s, st);
	return r;
}

int store_network_get(struct store *s, const char *id_or_name, struct network *ret,
		      struct berr *err)
{
	sqlite3_stmt *st;
	int r, rc, rank;

	if (!id_or_name)
		return berr_set(err, -EINVAL, "store %s: network get: no id or name", s->path);
	/* An empty string would be a prefix of every id. */
	if (!*id_or_name)
		return berr_set(err, -ENOENT, "store %s: network \"\": not found", s->path);
	/* Docker's order: exact id, then exact name, then id prefix. match_rank says which
	 * matched; a second row only matters when the first is a prefix match (it is one too,
	 * then). */
	r = store_prepare(s,
			  "SELECT " NETWORK_COLUMNS ","
			  "  CASE WHEN id = ?1 THEN 0 WHEN name = ?1 THEN 1 ELSE 2 END AS match_rank"
			  " FROM networks"
			  " WHERE id = ?1 OR name = ?1 OR substr(id, 1, length(?1)) = ?1"
			  " ORDER BY match_rank, id LIMIT 2",
			  &st, err, "network get");
	if (r < 0)
		return r;
	rc = sqlite3_bind_text(st, 1, id_or_name, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		r = berr_set(err, -ENOENT, "store %s: network %s: not found", s->path, id_or_name);
	} else if (rc != SQLITE_ROW) {
		r = store_fail(s, rc, err, "network %s: get", id_or_name);
	} else {
		rank = sqlite3_column_int(st, COL_COUNT);
		r = read_row(s, st, ret, err);
		if (r == 0 && rank == 2) {
			rc = sqlite3_step(st);
			if (rc == SQLITE_ROW)
				r = berr_set(err, -ENOTUNIQ,
					     "store %s: network %s: id prefix matches several networks",
					     s->path, id_or_name);
			else if (rc != SQLITE_DONE)
				r = store_fail(s, rc, err, "network %s: get", id_or_name);
		}
	}
	store_done(s, st);
	return r;
}

int store_network_delete(struct store *s, const char *id, struct berr *err)
{
	sqlite3_stmt *st;
	int r, rc;

	if (!id || !*id)
		return berr_set(err, -EINVAL, "store %s: network delete: empty id", s->path);
	r = store_prepare(s, "DELETE FROM networks WHERE id = ?1", &st, err, "network delete");
	if (r < 0)
		return r;
	rc = sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		r = store_fail(s, rc, err, "network %s: delete", id);
	else if (sqlite3_changes(s->db) == 0)
		r = berr_set(err, -ENOENT, "store %s: network %s: not found", s->path, id);
	store_done(s, st);
	return r;
}

int store_network_list(struct store *s, struct network **ret, size_t *ret_n, struct berr *err)
{
	struct network *list = NULL, *grown;
	size_t n = 0, cap = 0;
	sqlite3_stmt *st;
	int r, rc;

	*ret = NULL;
	*ret_n = 0;
	/* id breaks ties so the order is stable even if two rows share `created`. */
	r = store_prepare(s, "SELECT " NETWORK_COLUMNS " FROM networks ORDER BY created, id", &st,
			  err, "network list");
	if (r < 0)
		return r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? 2 * cap : 8;
			grown = realloc(list, cap * sizeof(*list));
			if (!grown) {
				r = berr_errno(err, -ENOMEM, "store %s: network list", s->path);
				break;
			}
			list = grown;
		}
		r = read_row(s, st, &list[n], err);
		if (r < 0)
			break;
		n++;
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = store_fail(s, rc, err, "network list");
	store_done(s, st);
	if (r < 0) {
		free(list);
		return r;
	}
	*ret = list;
	*ret_n = n;
	return 0;
}

int store_network_doc_get(struct store *s, const char *id, char **ret_doc, struct berr *err)
{
	const unsigned char *v;
	sqlite3_stmt *st;
	int r, rc;

	*ret_doc = NULL;
	r = store_prepare(s, "SELECT doc FROM network_docker WHERE id = ?1", &st, err, "network doc get");
	if (r < 0)
		return r;
	rc = sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		v = sqlite3_column_text(st, 0);
		*ret_doc = strdup(v ? (const char *)v : "{}");
		if (!*ret_doc)
			r = berr_set(err, -ENOMEM, "store %s: network %s: doc: out of memory", s->path, id);
	} else if (rc != SQLITE_DONE) {
		r = store_fail(s, rc, err, "network %s: doc get", id);
	}
	store_done(s, st);
	return r;
}

int store_network_doc_set(struct store *s, const char *id, const char *doc, struct berr *err)
{
	sqlite3_stmt *st;
	int r, rc;

	r = store_prepare(s, "INSERT INTO network_docker (id, doc) SELECT id, ?2 FROM networks WHERE id = ?1"
			     " ON CONFLICT (id) DO UPDATE SET doc = excluded.doc",
			  &st, err, "network doc set");
	if (r < 0)
		return r;
	rc = sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 2, doc, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		r = store_fail(s, rc, err, "network %s: doc set", id);
	else if (sqlite3_changes(s->db) == 0)
		r = berr_set(err, -ENOENT, "store %s: network %s: not found", s->path, id);
	store_done(s, st);
	return r;
}
