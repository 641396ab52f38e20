/* SPDX-License-Identifier: MIT */
/*
 * /images, /build, /volumes: what berth has instead of images and volumes. A container runs on
 * the host's file system, so there is one image, "host", described as dockerd describes an image
 * (docker images, docker image inspect, the SDKs' Container.image), and no volume. What would
 * make or fetch an image or a volume is refused with a message that says why.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "api_container.h"
#include "http.h"

/* The image is the host's, so its architecture is the one berthd was built for, in Go's words
 * as dockerd says it. */
#if defined(__x86_64__)
#define IMAGE_ARCH "amd64"
#elif defined(__aarch64__)
#define IMAGE_ARCH "arm64"
#elif defined(__i386__)
#define IMAGE_ARCH "386"
#elif defined(__arm__)
#define IMAGE_ARCH "arm"
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define IMAGE_ARCH "ppc64le"
#elif defined(__s390x__)
#define IMAGE_ARCH "s390x"
#elif defined(__riscv) && __riscv_xlen == 64
#define IMAGE_ARCH "riscv64"
#else
#define IMAGE_ARCH "unknown"
#endif

#define NO_VOLUMES_MSG "berth has no volumes: containers run on the host's file system"
#define NO_BUILD_MSG API_NO_IMAGES_MSG "; docker build is not supported"

/* The image's creation time: the host's OS release file's last change (the image is the host as
 * it is; dockerd would say when the image was built). 0 if it cannot be read. */
static time_t host_image_created(void)
{
	struct stat st;

	return stat("/etc/os-release", &st) == 0 ? st.st_mtime : 0;
}

/* "host", "host:latest", its id, or a prefix of its id's digits ("4740ae63"), as dockerd
 * resolves an image reference. */
static bool is_host_image(const char *ref)
{
	const char *digits = API_HOST_IMAGE_ID + strlen("sha256:");
	size_t n = strlen(ref);

	if (strcmp(ref, API_HOST_IMAGE) == 0 || strcmp(ref, API_HOST_IMAGE ":latest") == 0 ||
	    strcmp(ref, API_HOST_IMAGE_ID) == 0)
		return true;
	if (strncmp(ref, "sha256:", 7) == 0)
		ref += 7, n -= 7;
	return n >= 1 && n <= strlen(digits) && strncmp(ref, digits, n) == 0;
}

/* The CLI pulls when a create answers 404 (for any reason: a missing network too) and then
 * creates again: "pulling" host succeeds, so the user sees the create's real error. */
static void image_pull(struct engine *e, const struct http_request *req, struct http_response *resp)
{
	const char *image = http_query(req, "fromImage"), *tag = http_query(req, "tag");

	(void)e;
	if (image && (strcmp(image, API_HOST_IMAGE) == 0 || strcmp(image, "docker.io/library/" API_HOST_IMAGE) == 0) &&
	    (!tag || !*tag || strcmp(tag, "latest") == 0)) {
		resp->text = strdup("{\"status\":\"host: the host's file system, nothing to pull\"}\n");
		return;
	}
	http_error(resp, -EINVAL, API_NO_IMAGES_MSG);
}

/* docker images: the one image. */
static void image_list(struct engine *e, const struct http_request *req, struct http_response *resp)
{
	(void)e, (void)req;
	resp->json = json_pack("[{s:i, s:I, s:s, s:{}, s:s, s:[], s:[s], s:i, s:i}]", "Containers", -1, "Created",
			       (json_int_t)host_image_created(), "Id", API_HOST_IMAGE_ID, "Labels", "ParentId", "",
			       "RepoDigests", "RepoTags", API_HOST_IMAGE ":latest", "SharedSize", -1, "Size", 0);
}

static void image_inspect(struct engine *e, const struct http_request *req, struct http_response *resp)
{
	char ref[128], created[32];
	time_t t = host_image_created();
	struct tm tm;

	(void)e;
	if (!http_path_part(req->path, 1, ref, sizeof(ref)) || !is_host_image(ref)) {
		http_error(resp, -ENOENT, API_NO_IMAGES_MSG);
		return;
	}
	gmtime_r(&t, &tm);
	strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm);
	/* An image with no layers, no default command and no environment: what a container of
	 * berth's gets is what its create asked for. */
	resp->json = json_pack("{s:s, s:[s], s:[], s:s, s:s, s:s, s:s, s:s, s:{s:n, s:n, s:n, s:n, s:s, s:n, s:n},"
			       " s:s, s:s, s:I, s:{s:n, s:s}, s:{s:s}, s:{s:s}}",
			       "Id", API_HOST_IMAGE_ID, "RepoTags", API_HOST_IMAGE ":latest", "RepoDigests", "Parent", "",
			       "Comment", "the host's file system", "Created", created, "DockerVersion", "", "Author", "",
			       "Config", "Env", "Cmd", "Entrypoint", "Labels", "WorkingDir", "", "Volumes", "ExposedPorts",
			       "Architecture", IMAGE_ARCH, "Os", "linux", "Size", (json_int_t)0, "GraphDriver", "Data", "Name", "none",
			       "RootFS", "Type", "layers", "Metadata", "LastTagTime", "0001-01-01T00:00:00Z");
}

static void image_remove(struct engine *e, const struct http_request *req, struct http_response *resp)
{
	(void)e, (void)req;
	http_error(resp, -EINVAL, API_NO_IMAGES_MSG ": the image \"host\" cannot be removed");
}

static void build(struct engine *e, const struct http_request *req, struct http_response *resp)
{
	(void)e, (void)req;
	http_error(resp, -EINVAL, NO_BUILD_MSG);
}

static void volume_list(struct engine *e, const struct http_request *req, struct http_response *resp)
{
	(void)e, (void)req;
	resp->json = json_pack("{s:[], s:n}", "Volumes", "Warnings");
}

static void volume_refuse(struct engine *e, const struct http_request *req, struct http_response *resp)
{
	(void)e, (void)req;
	http_error(resp, -EINVAL, NO_VOLUMES_MSG);
}

/* docker volume prune: nothing to remove. */
static void volume_prune(struct engine *e, const struct http_request *req, struct http_response *resp)
{
	(void)e, (void)req;
	resp->json = json_pack("{s:[], s:i}", "VolumesDeleted", "SpaceReclaimed", 0);
}

/* docker volume inspect/rm NAME: dockerd's words for a missing volume. */
static void volume_missing(struct engine *e, const struct http_request *req, struct http_response *resp)
{
	char ref[128], msg[256];

	(void)e;
	if (!http_path_part(req->path, 1, ref, sizeof(ref)))
		snprintf(ref, sizeof(ref), "?");
	snprintf(msg, sizeof(msg), "get %s: no such volume (" NO_VOLUMES_MSG ")", ref);
	http_error(resp, -ENOENT, msg);
}

const struct http_route http_image_routes[] = {
	{ "POST", "/images/create", image_pull },
	{ "GET", "/images/json", image_list },
	{ "GET", "/images/{}/json", image_inspect },
	{ "DELETE", "/images/{}", image_remove },
	{ "POST", "/build", build },
	{ "GET", "/volumes", volume_list },
	{ "POST", "/volumes/create", volume_refuse },
	{ "POST", "/volumes/prune", volume_prune },
	{ "GET", "/volumes/{}", volume_missing },
	{ "DELETE", "/volumes/{}", volume_missing },
	{ NULL, NULL, NULL },
};
