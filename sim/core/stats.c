/* Percentiles and the Mann-Whitney U test (stats.h). */
#include <glib.h>
#include <math.h>
#include <string.h>

#include "core/stats.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

double vds_percentile(const double *v, size_t n, double p)
{
    if (!n)
        return 0;
    double *s = g_memdup2(v, n * sizeof(double));
    qsort(s, n, sizeof(double), cmp_double);
    size_t i = (size_t)(p / 100.0 * (double)(n - 1) + 0.5);
    double r = s[MIN(i, n - 1)];
    g_free(s);
    return r;
}

typedef struct ranked {
    double v;
    int from_a;
} ranked;

static int cmp_ranked(const void *a, const void *b)
{
    return cmp_double(&((const ranked *)a)->v, &((const ranked *)b)->v);
}

double vds_mann_whitney_p(const double *a, size_t na, const double *b, size_t nb)
{
    if (!na || !nb)
        return 1;
    size_t n = na + nb;
    ranked *all = g_new(ranked, n);
    for (size_t i = 0; i < na; i++)
        all[i] = (ranked){a[i], 1};
    for (size_t i = 0; i < nb; i++)
        all[na + i] = (ranked){b[i], 0};
    qsort(all, n, sizeof(ranked), cmp_ranked);
    double rank_sum_a = 0, ties = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && all[j].v == all[i].v)
            j++;
        double rank = (double)(i + j + 1) / 2.0; /* ranks i+1..j, averaged */
        double t = (double)(j - i);
        ties += t * t * t - t;
        for (size_t k = i; k < j; k++)
            if (all[k].from_a)
                rank_sum_a += rank;
        i = j;
    }
    g_free(all);
    double n1 = (double)na, n2 = (double)nb, nn = (double)n;
    double u = rank_sum_a - n1 * (n1 + 1) / 2.0;
    double mu = n1 * n2 / 2.0;
    double var = n1 * n2 / 12.0 * ((nn + 1) - ties / (nn * (nn - 1)));
    if (var <= 0)
        return 1;
    double z = (fabs(u - mu) - 0.5) / sqrt(var);
    if (z < 0)
        z = 0;
    return erfc(z / M_SQRT2);
}

void vds_wilson95(unsigned k, unsigned n, double *lo, double *hi)
{
    const double z = 1.959963984540054; /* the normal's 97.5th percentile */
    if (n == 0 || k > n) {
        *lo = 0;
        *hi = 1;
        return;
    }
    double p = (double)k / n, z2n = z * z / n;
    double centre = (p + z2n / 2) / (1 + z2n);
    double half = z / (1 + z2n) * sqrt(p * (1 - p) / n + z2n / (4.0 * n));
    *lo = MAX(0.0, centre - half);
    *hi = MIN(1.0, centre + half);
    if (k == 0) /* exact at the ends, not off by rounding */
        *lo = 0;
    if (k == n)
        *hi = 1;
}
