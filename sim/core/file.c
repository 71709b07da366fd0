#include "core/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *kind_of(mode_t m)
{
    return S_ISDIR(m)    ? "a directory"
           : S_ISCHR(m)  ? "a character device"
           : S_ISBLK(m)  ? "a block device"
           : S_ISFIFO(m) ? "a FIFO"
           : S_ISSOCK(m) ? "a socket"
                         : "not a regular file";
}

static int check_fd(int fd, const char *path, size_t max, const char *what, vds_err *err)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return vds_err_set(err, VDS_ERR_IO, path, "cannot read %s: %s", what, g_strerror(errno));
    if (!S_ISREG(st.st_mode))
        return vds_err_set(err, VDS_ERR_IO, path, "%s is %s, not a regular file", what,
                           kind_of(st.st_mode));
    if ((uint64_t)st.st_size > max)
        return vds_err_set(err, VDS_ERR_LIMIT, path, "%s of %llu bytes exceeds the limit of %zu",
                           what, (unsigned long long)st.st_size, max);
    return 0;
}

int vds_file_check(const char *path, size_t max, const char *what, vds_err *err)
{
    /* O_NONBLOCK: opening a FIFO must not wait for a writer */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return vds_err_set(err, VDS_ERR_IO, path, "cannot read %s: %s", what, g_strerror(errno));
    int rc = check_fd(fd, path, max, what, err);
    close(fd);
    return rc;
}

char *vds_file_read_all(const char *path, size_t max, const char *what, size_t *len, vds_err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        vds_err_set(err, VDS_ERR_IO, path, "cannot read %s: %s", what, g_strerror(errno));
        return NULL;
    }
    if (check_fd(fd, path, max, what, err) < 0) {
        close(fd);
        return NULL;
    }
    GByteArray *buf = g_byte_array_new();
    uint8_t chunk[65536];
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            vds_err_set(err, VDS_ERR_IO, path, "cannot read %s: %s", what, g_strerror(errno));
            goto fail;
        }
        if (n == 0)
            break;
        if (buf->len + (size_t)n > max) { /* it grew while we read */
            vds_err_set(err, VDS_ERR_LIMIT, path, "%s exceeds the limit of %zu bytes", what, max);
            goto fail;
        }
        g_byte_array_append(buf, chunk, (guint)n);
    }
    close(fd);
    if (len)
        *len = buf->len;
    g_byte_array_append(buf, (const guint8 *)"", 1);
    return (char *)g_byte_array_free(buf, FALSE);
fail:
    close(fd);
    g_byte_array_unref(buf);
    return NULL;
}

GBytes *vds_file_read(const char *path, size_t max, const char *what, vds_err *err)
{
    size_t len;
    char *data = vds_file_read_all(path, max, what, &len, err);
    return data ? g_bytes_new_take(data, len) : NULL;
}

static int write_all(int fd, const uint8_t *p, size_t len)
{
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int vds_file_write(const char *path, const void *data, size_t len, vds_err *err)
{
    /* beside it, then renamed over it: a failed write leaves the old file
       (or none), never a cut one */
    g_autofree char *tmp = g_strdup_printf("%s.XXXXXX", path);
    int fd = g_mkstemp_full(tmp, O_WRONLY | O_CLOEXEC, 0644);
    if (fd < 0)
        return vds_err_set(err, VDS_ERR_IO, path, "cannot create: %s", g_strerror(errno));
    int rc = write_all(fd, data, len);
    if (rc == 0 && fsync(fd) < 0 && errno != EINVAL)
        rc = -1;
    int e = errno;
    if (close(fd) < 0 && rc == 0) {
        rc = -1;
        e = errno;
    }
    if (rc == 0 && rename(tmp, path) < 0) {
        rc = -1;
        e = errno;
    }
    if (rc < 0) {
        unlink(tmp);
        return vds_err_set(err, VDS_ERR_IO, path, "cannot write: %s", g_strerror(e));
    }
    return 0;
}

char *vds_path_under(const char *dir, const char *rel, vds_err *err)
{
    if (!*rel || g_path_is_absolute(rel)) {
        vds_err_set(err, VDS_ERR_USAGE, rel, "not a relative path under %s", dir);
        return NULL;
    }
    g_auto(GStrv) parts = g_strsplit(rel, "/", -1);
    for (size_t i = 0; parts[i]; i++)
        if (!*parts[i] || !strcmp(parts[i], ".") || !strcmp(parts[i], "..")) {
            vds_err_set(err, VDS_ERR_USAGE, rel, "the path would leave %s (segment '%s')", dir,
                        parts[i]);
            return NULL;
        }
    return g_build_filename(dir, rel, NULL);
}
