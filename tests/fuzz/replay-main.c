/* Runs LLVMFuzzerTestOneInput over every file in the given files or
 * directories, so a corpus replays as an ordinary test. */
#include <glib.h>
#include <stdint.h>
#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
    char *data;
    gsize len;
    if (!g_file_get_contents(path, &data, &len, NULL)) {
        fprintf(stderr, "cannot read %s\n", path);
        return 1;
    }
    LLVMFuzzerTestOneInput((const uint8_t *)data, len);
    g_free(data);
    return 0;
}

int main(int argc, char **argv)
{
    unsigned files = 0;
    int bad = 0;
    for (int i = 1; i < argc; i++) {
        GDir *dir = g_dir_open(argv[i], 0, NULL);
        if (!dir) {
            bad |= run_file(argv[i]);
            files++;
            continue;
        }
        const char *name;
        while ((name = g_dir_read_name(dir))) {
            g_autofree char *path = g_build_filename(argv[i], name, NULL);
            bad |= run_file(path);
            files++;
        }
        g_dir_close(dir);
    }
    if (files == 0) {
        fprintf(stderr, "no corpus files given: the corpus directory is missing or empty\n");
        return 1;
    }
    printf("replayed %u inputs\n", files);
    return bad;
}
