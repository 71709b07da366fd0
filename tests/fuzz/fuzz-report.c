/* summary.json bytes -> the HTML report of that run: whatever a summary
 * holds (wrong types, missing members, paths to anything), the page is made
 * or refused with an error, never a crash. */
#include <glib/gstdio.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/file.h"
#include "report/html.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *dir; /* one scratch directory per process */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!dir)
        dir = g_dir_make_tmp("vdsim-fuzz-report-XXXXXX", NULL);
    if (!dir)
        abort();
    vds_err err;
    g_autofree char *summary = g_build_filename(dir, "summary.json", NULL);
    g_autofree char *page = g_build_filename(dir, "index.html", NULL);
    if (vds_file_write(summary, data, size, &err) < 0)
        abort();
    vds_report_html_run(dir, page, &err);
    g_unlink(page);
    return 0;
}
