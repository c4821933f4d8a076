/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * ConfabMetrics: what confabd counts, served as `GET /metrics` in the Prometheus text exposition
 * format 0.0.4. A metric is a family (one name, one HELP and TYPE) of series, one per set of
 * label values (at most two labels).
 *
 * Counters and labelled histograms are recorded on the main thread with plain increments.
 * Histograms without labels may also be recorded from another thread (the store's): their
 * buckets, count and sum are updated atomically. Values that exist anyway (connections open,
 * the process's memory) are read when rendered, through a ConfabMetricFunc.
 */

typedef struct _ConfabMetrics ConfabMetrics;
typedef struct _ConfabMetric  ConfabMetric;

typedef enum
{
  CONFAB_METRIC_COUNTER,
  CONFAB_METRIC_GAUGE,
  CONFAB_METRIC_HISTOGRAM,
} ConfabMetricType;

/* The current value of a counter or gauge read when rendered (main thread). */
typedef double (*ConfabMetricFunc) (gpointer user_data);

ConfabMetrics *confab_metrics_new           (void);
void           confab_metrics_free          (ConfabMetrics    *self);

/* @name: [a-zA-Z_:][a-zA-Z0-9_:]*, unique; @label1, @label2: label names or NULL. */
ConfabMetric  *confab_metrics_add_counter   (ConfabMetrics    *self,
                                             const char       *name,
                                             const char       *help,
                                             const char       *label1,
                                             const char       *label2);
/* @bounds: ascending upper bounds of the buckets (+Inf is added), in the unit that is
 * observed; observed values and their sum are divided by @scale when rendered (1e6 for
 * microseconds observed and seconds shown). */
ConfabMetric  *confab_metrics_add_histogram (ConfabMetrics    *self,
                                             const char       *name,
                                             const char       *help,
                                             const char       *label,
                                             const guint64    *bounds,
                                             guint             n_bounds,
                                             double            scale);
void           confab_metrics_add_func      (ConfabMetrics    *self,
                                             ConfabMetricType  type,
                                             const char       *name,
                                             const char       *help,
                                             ConfabMetricFunc  func,
                                             gpointer          user_data);
/* The metric registered as @name, or NULL. */
ConfabMetric  *confab_metrics_lookup        (ConfabMetrics    *self,
                                             const char       *name);

/* Adds @n to the series of @value1, @value2 (NULL for a label the counter does not have). */
void           confab_metric_add            (ConfabMetric     *metric,
                                             const char       *value1,
                                             const char       *value2,
                                             guint64           n);
/* Counts @value in the series of @label_value (NULL without a label). */
void           confab_metric_observe        (ConfabMetric     *metric,
                                             const char       *label_value,
                                             guint64           value);

/* The whole registry in the text format, families in the order they were added. */
char          *confab_metrics_render        (ConfabMetrics    *self,
                                             gsize            *length);

G_END_DECLS
