/* Small statistics for comparing latency samples of two runs. */
#pragma once

#include <stddef.h>

/* The p-th percentile (0..100) of n values, nearest rank on a sorted copy;
 * 0 when n is 0. */
double vds_percentile(const double *v, size_t n, double p);

/* The Mann-Whitney U test (Wilcoxon rank-sum), two-sided: do samples a and b
 * come from the same distribution? Normal approximation with the tie
 * correction and a continuity correction; valid from about 8 samples each.
 * Returns the p-value (1 when either side is empty or every value ties). */
double vds_mann_whitney_p(const double *a, size_t na, const double *b, size_t nb);

/* The Wilson score interval at 95 % for k successes in n trials, into *lo and
 * *hi (0..1); [0, 1] when n is 0. Unlike k/n +- 1.96 sd it stays inside
 * [0, 1] and says something at k = 0 and k = n. */
void vds_wilson95(unsigned k, unsigned n, double *lo, double *hi);
