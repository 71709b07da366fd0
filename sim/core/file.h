/* Reading and writing files from data a user gave: bounded while reading,
 * only regular files where a file is expected, paths that stay under their
 * directory, writes whose every step is checked. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"

/* Is path a regular file of at most max bytes? 0, or -1 with err saying what
 * it is instead ("is a character device, not a regular file"); what names
 * the file's role in the message ("scenario", "payload"). */
int vds_file_check(const char *path, size_t max, const char *what, vds_err *err);

/* The contents of path, read with the limit applied while reading (a file
 * that grows past max, or a device, is refused before it fills memory).
 * Returns new bytes, or NULL with err located at path. */
GBytes *vds_file_read(const char *path, size_t max, const char *what, vds_err *err);
/* The same as a new NUL-terminated buffer (g_free) of *len bytes (len may
 * be NULL). */
char *vds_file_read_all(const char *path, size_t max, const char *what, size_t *len, vds_err *err);

/* Write len bytes to path and make them durable: written beside it, synced
 * and renamed over it, every step checked, so a failure leaves no cut file.
 * -1 with err naming path and errno. */
int vds_file_write(const char *path, const void *data, size_t len, vds_err *err);

/* dir/rel, when rel is relative and has no "." or ".." segment, so the result
 * stays under dir (new string); NULL with err otherwise. */
char *vds_path_under(const char *dir, const char *rel, vds_err *err);
