/* SPDX-License-Identifier: MIT */
#pragma once
/* GET /trace: berth trace against berthd's live namespace (trace_route.c). */
#include "http.h"

void trace_route(struct engine *e, const struct http_request *req, struct http_response *resp);
