/* SPDX-License-Identifier: MIT */
#pragma once
#include <stdio.h>

#include "model/config.h"

enum flags_result { FLAGS_RUN, FLAGS_HELP, FLAGS_VERSION };

/* Parses berthd's command line into c (already holding defaults), then the config file when
 * --config-file is given or the default exists. Returns FLAGS_* or a negative errno with err set. */
int flags_parse(int argc, char **argv, struct berth_config *c, struct berr *err);
void flags_usage(FILE *out);
