#include "core/error.h"

#include <stdio.h>
#include <string.h>

int vds_err_setv(vds_err *err, vds_err_code code, const char *loc, const char *fmt, va_list ap)
{
    if (!err)
        return -1;
    err->code = code;
    snprintf(err->loc, sizeof(err->loc), "%s", loc ? loc : "");
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    return -1;
}

int vds_err_set(vds_err *err, vds_err_code code, const char *loc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vds_err_setv(err, code, loc, fmt, ap);
    va_end(ap);
    return -1;
}

void vds_err_prefix_loc(vds_err *err, const char *outer)
{
    char tmp[VDS_ERR_LOC_MAX];

    if (!err || !outer || !*outer)
        return;
    if (err->loc[0])
        snprintf(tmp, sizeof(tmp), "%s: %s", outer, err->loc);
    else
        snprintf(tmp, sizeof(tmp), "%s", outer);
    memcpy(err->loc, tmp, sizeof(tmp));
}

const char *vds_err_str(const vds_err *err, char *buf, size_t size)
{
    if (err->loc[0])
        snprintf(buf, size, "%s: %s", err->loc, err->msg);
    else
        snprintf(buf, size, "%s", err->msg);
    return buf;
}

void vds_err_clear(vds_err *err)
{
    if (err)
        memset(err, 0, sizeof(*err));
}
