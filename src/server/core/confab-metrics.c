/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-metrics"

#include "config.h"

#include "confab-metrics.h"

#include <string.h>

typedef struct
{
  char    *values[2];
  guint64  count;      /* a counter's value; a histogram's observations */
  guint64  sum;        /* histograms: the sum of what was observed */
  guint64 *buckets;    /* histograms: observations per bucket (not cumulative), +Inf last */
} Series;

struct _ConfabMetric
{
  ConfabMetricType  type;
  char             *name;
  char             *help;
  char             *labels[2];
  guint             n_labels;

  /* Without labels: @single. With one: value → Series. With two: value1 → (value2 → Series). */
  Series           *single;
  GHashTable       *series;

  guint64          *bounds;
  guint             n_bounds;
  double            scale;

  ConfabMetricFunc  func;
  gpointer          func_data;
};

struct _ConfabMetrics
{
  GPtrArray  *metrics;   /* ConfabMetric, in registration order */
  GHashTable *by_name;
};

static void
series_free (gpointer data)
{
  Series *series = data;

  g_free (series->values[0]);
  g_free (series->values[1]);
  g_free (series->buckets);
  g_free (series);
}

static void
metric_free (gpointer data)
{
  ConfabMetric *metric = data;

  g_free (metric->name);
  g_free (metric->help);
  g_free (metric->labels[0]);
  g_free (metric->labels[1]);
  g_clear_pointer (&metric->single, series_free);
  g_clear_pointer (&metric->series, g_hash_table_unref);
  g_free (metric->bounds);
  g_free (metric);
}

static gboolean
is_valid_name (const char *name,
               gboolean    colon)
{
  if (name == NULL || name[0] == '\0' || g_ascii_isdigit (name[0]))
    return FALSE;
  for (const char *p = name; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '_' && !(colon && *p == ':'))
      return FALSE;
  return TRUE;
}

static Series *
series_new (ConfabMetric *metric,
            const char   *value1,
            const char   *value2)
{
  Series *series = g_new0 (Series, 1);

  series->values[0] = g_strdup (value1);
  series->values[1] = g_strdup (value2);
  if (metric->type == CONFAB_METRIC_HISTOGRAM)
    series->buckets = g_new0 (guint64, metric->n_bounds + 1);
  return series;
}

static ConfabMetric *
add_metric (ConfabMetrics    *self,
            ConfabMetricType  type,
            const char       *name,
            const char       *help,
            const char       *label1,
            const char       *label2)
{
  ConfabMetric *metric;

  g_return_val_if_fail (is_valid_name (name, TRUE), NULL);
  g_return_val_if_fail (!g_hash_table_contains (self->by_name, name), NULL);
  g_return_val_if_fail (label1 == NULL || is_valid_name (label1, FALSE), NULL);
  g_return_val_if_fail (label2 == NULL || (label1 != NULL && is_valid_name (label2, FALSE)),
                        NULL);

  metric = g_new0 (ConfabMetric, 1);
  metric->type = type;
  metric->name = g_strdup (name);
  metric->help = g_strdup (help);
  metric->labels[0] = g_strdup (label1);
  metric->labels[1] = g_strdup (label2);
  metric->n_labels = label2 != NULL ? 2 : label1 != NULL ? 1 : 0;
  metric->scale = 1.0;
  if (metric->n_labels == 2)
    metric->series = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                            (GDestroyNotify) g_hash_table_unref);
  else if (metric->n_labels == 1)
    metric->series = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, series_free);

  g_ptr_array_add (self->metrics, metric);
  g_hash_table_insert (self->by_name, metric->name, metric);
  return metric;
}

/* Main thread only when the metric has labels. */
static Series *
find_series (ConfabMetric *metric,
             const char   *value1,
             const char   *value2)
{
  GHashTable *table = metric->series;
  Series *series;

  if (metric->n_labels == 0)
    return metric->single;

  value1 = value1 != NULL ? value1 : "";
  if (metric->n_labels == 2)
    {
      GHashTable *inner = g_hash_table_lookup (table, value1);

      if (inner == NULL)
        {
          inner = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, series_free);
          g_hash_table_insert (table, g_strdup (value1), inner);
        }
      table = inner;
      value2 = value2 != NULL ? value2 : "";
    }
  else
    value2 = NULL;

  series = g_hash_table_lookup (table, value2 != NULL ? value2 : value1);
  if (series == NULL)
    {
      series = series_new (metric, value1, value2);
      g_hash_table_insert (table, series->values[value2 != NULL ? 1 : 0], series);
    }
  return series;
}

/* --- Rendering -------------------------------------------------------------------------------- */

static void
append_escaped (GString    *out,
                const char *text,
                gboolean    quotes)
{
  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == '\\')
        g_string_append (out, "\\\\");
      else if (*p == '\n')
        g_string_append (out, "\\n");
      else if (quotes && *p == '"')
        g_string_append (out, "\\\"");
      else
        g_string_append_c (out, *p);
    }
}

static void
append_double (GString *out,
               double   value)
{
  char buffer[G_ASCII_DTOSTR_BUF_SIZE];

  if (value == (double) (gint64) value && ABS (value) < 1e15)
    g_string_append_printf (out, "%" G_GINT64_FORMAT, (gint64) value);
  else
    g_string_append (out, g_ascii_formatd (buffer, sizeof buffer, "%.9g", value));
}

/* `name{a="x",b="y",le="0.5"} `; @le may be NULL. */
static void
append_series_name (GString            *out,
                    const ConfabMetric *metric,
                    const char         *suffix,
                    const Series       *series,
                    const char         *le)
{
  gboolean any = FALSE;

  g_string_append (out, metric->name);
  g_string_append (out, suffix);
  for (guint i = 0; series != NULL && i < metric->n_labels; i++)
    {
      g_string_append (out, any ? ",": "{");
      g_string_append_printf (out, "%s=\"", metric->labels[i]);
      append_escaped (out, series->values[i], TRUE);
      g_string_append_c (out, '"');
      any = TRUE;
    }
  if (le != NULL)
    {
      g_string_append_printf (out, "%sle=\"%s\"", any ? "," : "{", le);
      any = TRUE;
    }
  g_string_append (out, any ? "} " : " ");
}

static guint64
load (const guint64 *value)
{
  return __atomic_load_n (value, __ATOMIC_RELAXED);
}

static void
render_series (GString            *out,
               const ConfabMetric *metric,
               const Series       *series)
{
  char le[G_ASCII_DTOSTR_BUF_SIZE];
  guint64 cumulative = 0;

  if (metric->type != CONFAB_METRIC_HISTOGRAM)
    {
      append_series_name (out, metric, "", series, NULL);
      g_string_append_printf (out, "%" G_GUINT64_FORMAT "\n", load (&series->count));
      return;
    }

  for (guint i = 0; i <= metric->n_bounds; i++)
    {
      cumulative += load (&series->buckets[i]);
      if (i < metric->n_bounds)
        g_ascii_formatd (le, sizeof le, "%.9g", metric->bounds[i] / metric->scale);
      else
        strcpy (le, "+Inf");
      append_series_name (out, metric, "_bucket", series, le);
      g_string_append_printf (out, "%" G_GUINT64_FORMAT "\n", cumulative);
    }
  append_series_name (out, metric, "_sum", series, NULL);
  append_double (out, load (&series->sum) / metric->scale);
  g_string_append_c (out, '\n');
  /* The +Inf bucket is the count: read once, so that the two always agree. */
  append_series_name (out, metric, "_count", series, NULL);
  g_string_append_printf (out, "%" G_GUINT64_FORMAT "\n", cumulative);
}

static int
compare_series (gconstpointer a,
                gconstpointer b)
{
  const Series *sa = *(const Series * const *) a;
  const Series *sb = *(const Series * const *) b;
  int order = g_strcmp0 (sa->values[0], sb->values[0]);

  return order != 0 ? order : g_strcmp0 (sa->values[1], sb->values[1]);
}

static void
collect_series (ConfabMetric *metric,
                GPtrArray    *all)
{
  GHashTableIter iter;
  gpointer value;

  if (metric->n_labels == 0)
    {
      g_ptr_array_add (all, metric->single);
      return;
    }
  g_hash_table_iter_init (&iter, metric->series);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      if (metric->n_labels == 2)
        {
          GHashTableIter inner;
          gpointer series;

          g_hash_table_iter_init (&inner, value);
          while (g_hash_table_iter_next (&inner, NULL, &series))
            g_ptr_array_add (all, series);
        }
      else
        g_ptr_array_add (all, value);
    }
  g_ptr_array_sort (all, compare_series);
}

static void
render_metric (GString      *out,
               ConfabMetric *metric)
{
  static const char * const type_names[] = { "counter", "gauge", "histogram" };
  g_autoptr(GPtrArray) all = g_ptr_array_new ();

  g_string_append_printf (out, "# HELP %s ", metric->name);
  append_escaped (out, metric->help, FALSE);
  g_string_append_printf (out, "\n# TYPE %s %s\n", metric->name, type_names[metric->type]);

  if (metric->func != NULL)
    {
      append_series_name (out, metric, "", NULL, NULL);
      append_double (out, metric->func (metric->func_data));
      g_string_append_c (out, '\n');
      return;
    }

  collect_series (metric, all);
  for (guint i = 0; i < all->len; i++)
    render_series (out, metric, g_ptr_array_index (all, i));
}

/* --- Public API ------------------------------------------------------------------------------- */

ConfabMetrics *
confab_metrics_new (void)
{
  ConfabMetrics *self = g_new0 (ConfabMetrics, 1);

  self->metrics = g_ptr_array_new_with_free_func (metric_free);
  self->by_name = g_hash_table_new (g_str_hash, g_str_equal);
  return self;
}

void
confab_metrics_free (ConfabMetrics *self)
{
  if (self == NULL)
    return;
  g_hash_table_unref (self->by_name);
  g_ptr_array_unref (self->metrics);
  g_free (self);
}

ConfabMetric *
confab_metrics_add_counter (ConfabMetrics *self,
                            const char    *name,
                            const char    *help,
                            const char    *label1,
                            const char    *label2)
{
  ConfabMetric *metric;

  g_return_val_if_fail (self != NULL, NULL);

  metric = add_metric (self, CONFAB_METRIC_COUNTER, name, help, label1, label2);
  if (metric != NULL && metric->n_labels == 0)
    metric->single = series_new (metric, NULL, NULL);
  return metric;
}

ConfabMetric *
confab_metrics_add_histogram (ConfabMetrics *self,
                              const char    *name,
                              const char    *help,
                              const char    *label,
                              const guint64 *bounds,
                              guint          n_bounds,
                              double         scale)
{
  ConfabMetric *metric;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (bounds != NULL && n_bounds > 0 && scale > 0, NULL);
  for (guint i = 1; i < n_bounds; i++)
    g_return_val_if_fail (bounds[i - 1] < bounds[i], NULL);

  metric = add_metric (self, CONFAB_METRIC_HISTOGRAM, name, help, label, NULL);
  if (metric == NULL)
    return NULL;
  metric->bounds = g_memdup2 (bounds, n_bounds * sizeof (guint64));
  metric->n_bounds = n_bounds;
  metric->scale = scale;
  if (metric->n_labels == 0)
    metric->single = series_new (metric, NULL, NULL);
  return metric;
}

void
confab_metrics_add_func (ConfabMetrics    *self,
                         ConfabMetricType  type,
                         const char       *name,
                         const char       *help,
                         ConfabMetricFunc  func,
                         gpointer          user_data)
{
  ConfabMetric *metric;

  g_return_if_fail (self != NULL);
  g_return_if_fail (type != CONFAB_METRIC_HISTOGRAM);
  g_return_if_fail (func != NULL);

  metric = add_metric (self, type, name, help, NULL, NULL);
  if (metric == NULL)
    return;
  metric->func = func;
  metric->func_data = user_data;
}

ConfabMetric *
confab_metrics_lookup (ConfabMetrics *self,
                       const char    *name)
{
  g_return_val_if_fail (self != NULL, NULL);
  return g_hash_table_lookup (self->by_name, name);
}

void
confab_metric_add (ConfabMetric *metric,
                   const char   *value1,
                   const char   *value2,
                   guint64       n)
{
  g_return_if_fail (metric != NULL && metric->type == CONFAB_METRIC_COUNTER);
  g_return_if_fail (metric->func == NULL);

  find_series (metric, value1, value2)->count += n;
}

void
confab_metric_observe (ConfabMetric *metric,
                       const char   *label_value,
                       guint64       value)
{
  Series *series;
  guint bucket = 0;

  g_return_if_fail (metric != NULL && metric->type == CONFAB_METRIC_HISTOGRAM);

  series = find_series (metric, label_value, NULL);
  while (bucket < metric->n_bounds && value > metric->bounds[bucket])
    bucket++;
  __atomic_fetch_add (&series->buckets[bucket], 1, __ATOMIC_RELAXED);
  __atomic_fetch_add (&series->sum, value, __ATOMIC_RELAXED);
}

char *
confab_metrics_render (ConfabMetrics *self,
                       gsize         *length)
{
  GString *out;

  g_return_val_if_fail (self != NULL, NULL);

  out = g_string_sized_new (8192);
  for (guint i = 0; i < self->metrics->len; i++)
    render_metric (out, g_ptr_array_index (self->metrics, i));
  if (length != NULL)
    *length = out->len;
  return g_string_free (out, FALSE);
}
