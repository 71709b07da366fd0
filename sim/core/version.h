/* Debian package versions: dpkg's ordering, and version ranges as known-bug
 * marks write them ("< 0.23.0", ">= 0.22.0, < 0.23.0"). */
#pragma once

#include <stdbool.h>

#include "core/error.h"

/* dpkg's order of two versions ([epoch:]upstream[-revision]): <0, 0, >0. */
int vds_version_cmp(const char *a, const char *b);

/* Does version satisfy range? A range is one or more "OP VERSION" joined by
 * ",", OP one of < <= > >= = !=, or "*" for any. A bound written without a
 * Debian revision compares the upstream part only, so "<= 0.22.1" holds for
 * 0.22.1-3+b2. 1 yes, 0 no, -1 with err (range text quoted) when the range
 * does not parse. */
int vds_version_in(const char *version, const char *range, vds_err *err);

/* Check a range's syntax alone: 0 or -1 with err. */
int vds_version_range_check(const char *range, vds_err *err);
