/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "confab-test-raw.h"
#include "confab-test-util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* GET /metrics and the structured logs of the real confabd: the scrape read by a strict parser
 * of the Prometheus text format 0.0.4, every family there with its type, counters that move by
 * what the test did, who may scrape ([metrics] allow), bad requests to the endpoint; the log
 * records of sign-in, sign-out, refusals and admin actions with their fields, and no password,
 * token or message body in any of them. */

#define T CONFAB_TEST_TIMEOUT_MS

#define FAST_HASHING "[security]\nargon2_opslimit=1\nargon2_memlimit_kib=8\n"

/* --- A strict parser of the text format ------------------------------------------------------ */

typedef struct
{
  char       *type;     /* counter, gauge, histogram, summary, untyped */
  gboolean    has_help;
  gboolean    has_samples;
} Family;

typedef struct
{
  GHashTable *families;   /* name → Family */
  GHashTable *samples;    /* "name{a=\"x\",b=\"y\"}" (labels sorted) → double * */
  char       *last_family;
} Scrape;

static void
family_free (gpointer data)
{
  Family *family = data;

  g_free (family->type);
  g_free (family);
}

static void
scrape_free (Scrape *scrape)
{
  g_hash_table_unref (scrape->families);
  g_hash_table_unref (scrape->samples);
  g_free (scrape->last_family);
  g_free (scrape);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Scrape, scrape_free)

static gboolean
is_name (const char *name,
         gboolean    colon)
{
  if (name[0] == '\0' || g_ascii_isdigit (name[0]))
    return FALSE;
  for (const char *p = name; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '_' && !(colon && *p == ':'))
      return FALSE;
  return TRUE;
}

static double
parse_value (const char *text)
{
  char *end = NULL;
  double value;

  if (g_str_equal (text, "+Inf"))
    return INFINITY;
  if (g_str_equal (text, "-Inf"))
    return -INFINITY;
  if (g_str_equal (text, "NaN"))
    return NAN;
  value = g_ascii_strtod (text, &end);
  if (end == text || *end != '\0')
    g_error ("not a sample value: '%s'", text);
  return value;
}

/* The family a sample of @name belongs to: a histogram's _bucket, _sum and _count are its
 * family's. */
static const char *
family_of (Scrape     *scrape,
           const char *name,
           char      **owned)
{
  static const char * const suffixes[] = { "_bucket", "_sum", "_count", NULL };

  for (guint i = 0; suffixes[i] != NULL; i++)
    if (g_str_has_suffix (name, suffixes[i]))
      {
        g_autofree char *base = g_strndup (name, strlen (name) - strlen (suffixes[i]));
        Family *family = g_hash_table_lookup (scrape->families, base);

        if (family != NULL && g_str_equal (family->type, "histogram"))
          return *owned = g_steal_pointer (&base);
      }
  return name;
}

static Family *
get_family (Scrape     *scrape,
            const char *name)
{
  Family *family = g_hash_table_lookup (scrape->families, name);

  if (family == NULL)
    {
      family = g_new0 (Family, 1);
      g_hash_table_insert (scrape->families, g_strdup (name), family);
    }
  return family;
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

/* Reads `{a="x",b="y"}` from *@p: the labels as `a="x"` with escapes resolved and written
 * again as the format writes them, sorted. */
static GPtrArray *
parse_labels (const char **p)
{
  GPtrArray *labels = g_ptr_array_new_with_free_func (g_free);
  const char *s = *p;

  g_assert_true (*s == '{');
  s++;
  while (*s != '}')
    {
      g_autoptr(GString) value = g_string_new (NULL);
      g_autofree char *label = NULL;
      const char *start = s;

      while (g_ascii_isalnum (*s) || *s == '_')
        s++;
      label = g_strndup (start, s - start);
      if (!is_name (label, FALSE) || g_str_has_prefix (label, "__"))
        g_error ("bad label name '%s'", label);
      if (s[0] != '=' || s[1] != '"')
        g_error ("label %s: expected =\"", label);
      s += 2;
      while (*s != '"')
        {
          if (*s == '\0' || *s == '\n')
            g_error ("label %s: unterminated value", label);
          if (*s == '\\')
            {
              s++;
              if (*s == 'n')
                g_string_append_c (value, '\n');
              else if (*s == '\\' || *s == '"')
                g_string_append_c (value, *s);
              else
                g_error ("label %s: bad escape \\%c", label, *s);
            }
          else
            g_string_append_c (value, *s);
          s++;
        }
      s++;
      for (guint i = 0; i < labels->len; i++)
        if (g_str_has_prefix (g_ptr_array_index (labels, i), label)
            && ((char *) g_ptr_array_index (labels, i))[strlen (label)] == '=')
          g_error ("label %s given twice", label);
      g_ptr_array_add (labels, g_strdup_printf ("%s=\"%s\"", label, value->str));
      if (*s == ',')
        s++;
      else if (*s != '}')
        g_error ("labels: expected , or }");
    }
  *p = s + 1;
  g_ptr_array_sort (labels, compare_strings);
  return labels;
}

static char *
series_key (const char *name,
            GPtrArray  *labels,
            const char *leave_out)
{
  g_autoptr(GString) key = g_string_new (name);
  gboolean any = FALSE;

  for (guint i = 0; labels != NULL && i < labels->len; i++)
    {
      const char *label = g_ptr_array_index (labels, i);

      if (leave_out != NULL && g_str_has_prefix (label, leave_out))
        continue;
      g_string_append (key, any ? "," : "{");
      g_string_append (key, label);
      any = TRUE;
    }
  if (any)
    g_string_append_c (key, '}');
  return g_string_free (g_steal_pointer (&key), FALSE);
}

typedef struct
{
  double last_le;
  double last_count;
  double inf_count;
  gboolean has_inf;
} Buckets;

/* A histogram's buckets in order, cumulative, ending with +Inf equal to _count. */
static void
check_histograms (Scrape     *scrape,
                  GHashTable *buckets)
{
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, buckets);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      Buckets *b = value;
      const char *series = key;
      const char *brace = strchr (series, '{');
      /* The key is `name_bucket{labels but le}`. */
      g_autofree char *base = g_strndup (series, (brace != NULL ? brace - series
                                                  : (gssize) strlen (series)) - strlen ("_bucket"));
      g_autofree char *count_key = g_strconcat (base, "_count", brace != NULL ? brace : "", NULL);
      g_autofree char *sum_key = g_strconcat (base, "_sum", brace != NULL ? brace : "", NULL);
      double *count = g_hash_table_lookup (scrape->samples, count_key);

      g_assert_true (b->has_inf);
      g_assert_nonnull (count);
      g_assert_nonnull (g_hash_table_lookup (scrape->samples, sum_key));
      g_assert_cmpfloat (*count, ==, b->inf_count);
    }
}

static Scrape *
parse_scrape (const char *text)
{
  g_autoptr(Scrape) scrape = g_new0 (Scrape, 1);
  g_autoptr(GHashTable) buckets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_auto(GStrv) lines = NULL;

  scrape->families = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, family_free);
  scrape->samples = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  g_assert_true (g_str_has_suffix (text, "\n"));
  lines = g_strsplit (text, "\n", -1);
  for (guint n = 0; lines[n] != NULL && lines[n + 1] != NULL; n++)
    {
      const char *line = lines[n];

      if (line[0] == '\0')
        continue;
      if (g_str_has_prefix (line, "# HELP ") || g_str_has_prefix (line, "# TYPE "))
        {
          gboolean help = line[2] == 'H';
          const char *name_start = line + 7;
          const char *space = strchr (name_start, ' ');
          g_autofree char *name = g_strndup (name_start, space != NULL ? space - name_start
                                                         : (gssize) strlen (name_start));
          Family *family;

          g_assert_true (is_name (name, TRUE));
          g_assert_nonnull (space);
          family = get_family (scrape, name);
          if (family->has_samples)
            g_error ("%s: HELP or TYPE after its samples", name);
          if (help)
            {
              g_assert_false (family->has_help);
              family->has_help = TRUE;
              for (const char *p = space + 1; *p != '\0'; p++)
                if (*p == '\\')
                  {
                    p++;
                    g_assert_true (*p == '\\' || *p == 'n');
                  }
            }
          else
            {
              const char *type = space + 1;

              g_assert_null (family->type);
              g_assert_true (g_str_equal (type, "counter") || g_str_equal (type, "gauge")
                             || g_str_equal (type, "histogram") || g_str_equal (type, "summary")
                             || g_str_equal (type, "untyped"));
              family->type = g_strdup (type);
            }
          continue;
        }
      if (line[0] == '#')
        continue;

      {
        const char *p = line;
        g_autofree char *name = NULL;
        g_autofree char *owned = NULL;
        g_autoptr(GPtrArray) labels = NULL;
        g_autofree char *key = NULL;
        g_auto(GStrv) rest = NULL;
        const char *family_name;
        Family *family;
        double value;

        while (g_ascii_isalnum (*p) || *p == '_' || *p == ':')
          p++;
        name = g_strndup (line, p - line);
        if (!is_name (name, TRUE))
          g_error ("bad sample line '%s'", line);
        if (*p == '{')
          labels = parse_labels (&p);
        if (*p != ' ')
          g_error ("'%s': expected a space before the value", line);
        rest = g_strsplit (p + 1, " ", -1);
        g_assert_true (g_strv_length (rest) == 1 || g_strv_length (rest) == 2);
        value = parse_value (rest[0]);
        if (rest[1] != NULL)
          parse_value (rest[1]);   /* a timestamp */

        family_name = family_of (scrape, name, &owned);
        family = get_family (scrape, family_name);
        if (family->type == NULL)
          family->type = g_strdup ("untyped");
        if (!family->has_samples)
          {
            /* A family's samples are one run of lines. */
            g_assert_null (g_hash_table_lookup (scrape->samples, family_name));
            family->has_samples = TRUE;
          }
        else if (g_strcmp0 (scrape->last_family, family_name) != 0)
          g_error ("samples of %s are not together", family_name);
        g_free (scrape->last_family);
        scrape->last_family = g_strdup (family_name);

        if (g_str_equal (family->type, "histogram"))
          {
            g_assert_true (g_str_has_suffix (name, "_bucket") || g_str_has_suffix (name, "_sum")
                           || g_str_has_suffix (name, "_count"));
            g_assert_cmpfloat (value, >=, 0);
          }
        else if (g_str_equal (family->type, "counter") || g_str_equal (family->type, "gauge"))
          g_assert_cmpstr (name, ==, family_name);
        if (g_str_equal (family->type, "counter"))
          g_assert_cmpfloat (value, >=, 0);

        key = series_key (name, labels, NULL);
        if (g_hash_table_contains (scrape->samples, key))
          g_error ("series %s given twice", key);
        g_hash_table_insert (scrape->samples, g_strdup (key), g_memdup2 (&value, sizeof value));

        if (g_str_has_suffix (name, "_bucket") && g_str_equal (family->type, "histogram"))
          {
            g_autofree char *bucket_key = series_key (name, labels, "le=");
            Buckets *b = g_hash_table_lookup (buckets, bucket_key);
            const char *le_label = NULL;
            g_autofree char *le_text = NULL;
            double le;

            for (guint i = 0; labels != NULL && i < labels->len; i++)
              if (g_str_has_prefix (g_ptr_array_index (labels, i), "le="))
                le_label = g_ptr_array_index (labels, i);
            g_assert_nonnull (le_label);
            le_text = g_strndup (le_label + 4, strlen (le_label) - 5);
            le = parse_value (le_text);
            if (b == NULL)
              {
                b = g_new0 (Buckets, 1);
                b->last_le = -INFINITY;
                g_hash_table_insert (buckets, g_strdup (bucket_key), b);
              }
            g_assert_false (b->has_inf);
            g_assert_cmpfloat (le, >, b->last_le);
            g_assert_cmpfloat (value, >=, b->last_count);
            b->last_le = le;
            b->last_count = value;
            if (isinf (le))
              {
                b->has_inf = TRUE;
                b->inf_count = value;
              }
          }
      }
    }

  check_histograms (scrape, buckets);
  return g_steal_pointer (&scrape);
}

/* A sample's value; 0 for a series not there yet (a counter that never moved). */
static double
sample (Scrape     *scrape,
        const char *key)
{
  double *value = g_hash_table_lookup (scrape->samples, key);

  return value != NULL ? *value : 0;
}

static Scrape *
scrape (ConfabTestServer *server)
{
  g_autofree char *body = NULL;
  guint status = confab_test_http (server, "GET", "/metrics", NULL, NULL, NULL, &body);

  g_assert_cmpuint (status, ==, 200);
  g_assert_nonnull (body);
  return parse_scrape (body);
}

/* --- The parser itself ------------------------------------------------------------------------ */

static void
test_parser (void)
{
  g_autoptr(Scrape) good = parse_scrape (
    "# HELP a_total With \\\\ and \\n.\n# TYPE a_total counter\n"
    "a_total{x=\"q\\\"uote\",b=\"1\"} 3\n"
    "# TYPE h histogram\nh_bucket{le=\"0.5\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 0.7\nh_count 2\n");

  g_assert_cmpfloat (sample (good, "a_total{b=\"1\",x=\"q\"uote\"}"), ==, 3);
  g_assert_cmpfloat (sample (good, "h_count"), ==, 2);

  /* What it refuses, each in a child process. */
  if (g_test_subprocess ())
    {
      const char *bad = g_getenv ("METRICS_BAD");

      parse_scrape (bad);
      return;
    }
  {
    static const char * const bad[] = {
      "a 1",                                                        /* no final newline */
      "# TYPE a counter\na 1\n# TYPE a counter\n",                  /* TYPE twice */
      "a{x=\"1} 1\n",                                               /* unterminated value */
      "a{x=\"\\t\"} 1\n",                                           /* bad escape */
      "a one\n",                                                    /* not a number */
      "a 1\nb 1\na{x=\"1\"} 2\n",                                   /* family split */
      "a 1\na 2\n",                                                 /* same series twice */
      "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n",
      "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n",  /* no +Inf */
      "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 3\n",
      "a 1\n# TYPE a counter\n",                                    /* TYPE after samples */
      NULL
    };

    for (guint i = 0; bad[i] != NULL; i++)
      {
        g_test_message ("refused: %s", bad[i]);
        g_setenv ("METRICS_BAD", bad[i], TRUE);
        g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDIN);
        g_test_trap_assert_failed ();
      }
    g_unsetenv ("METRICS_BAD");
  }
}

/* --- Families ---------------------------------------------------------------------------------- */

static void
test_families (void)
{
  static const struct
  {
    const char *name;
    const char *type;
  } families[] = {
    { "confab_connections_open", "gauge" },
    { "confab_sessions", "gauge" },
    { "confab_users_online", "gauge" },
    { "confab_requests_total", "counter" },
    { "confab_http_requests_total", "counter" },
    { "confab_request_duration_seconds", "histogram" },
    { "confab_messages_stored_total", "counter" },
    { "confab_fanout_deliveries_total", "counter" },
    { "confab_live_deliveries_total", "counter" },
    { "confab_store_batch_size", "histogram" },
    { "confab_store_commit_duration_seconds", "histogram" },
    { "confab_replay_backlog", "gauge" },
    { "process_resident_memory_bytes", "gauge" },
  };
  g_autoptr(ConfabTestServer) server = confab_test_server_new (NULL, FAST_HASHING);
  g_autoptr(ConfabTestUser) alice = confab_test_user_new (server, "alice");
  g_autoptr(ConfabTestClient) client = confab_test_client_new (server, alice->token, 0);
  g_autoptr(Scrape) s = NULL;
  g_autofree char *body = NULL;
  SoupMessageHeaders *headers;
  g_autofree char *uri = g_strconcat (confab_test_server_get_url (server), "/metrics", NULL);
  g_autoptr(SoupMessage) message = soup_message_new ("GET", uri);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;

  s = scrape (server);
  for (guint i = 0; i < G_N_ELEMENTS (families); i++)
    {
      Family *family = g_hash_table_lookup (s->families, families[i].name);

      g_test_message ("family %s", families[i].name);
      g_assert_nonnull (family);
      g_assert_cmpstr (family->type, ==, families[i].type);
      g_assert_true (family->has_help);
    }
  g_assert_cmpfloat (sample (s, "process_resident_memory_bytes"), >, 1024 * 1024);
  g_assert_cmpfloat (sample (s, "confab_connections_open"), ==, 1);
  g_assert_cmpfloat (sample (s, "confab_sessions"), ==, 1);
  g_assert_cmpfloat (sample (s, "confab_users_online"), ==, 1);
  g_assert_cmpfloat (sample (s, "confab_replay_backlog"), ==, 0);
  g_assert_cmpfloat (sample (s, "confab_requests_total{outcome=\"ok\",type=\"hello\"}"), ==, 1);

  /* The content type of the format's version. */
  bytes = soup_session_send_and_read (confab_test_server_get_session (server), message, NULL,
                                      &error);
  g_assert_no_error (error);
  headers = soup_message_get_response_headers (message);
  g_assert_cmpstr (soup_message_headers_get_content_type (headers, NULL), ==, "text/plain");
  g_assert_cmpstr (soup_message_headers_get_one (headers, "Content-Type"), ==,
                   "text/plain; version=0.0.4; charset=utf-8");
}

/* --- Counters that move ------------------------------------------------------------------------ */

static void
test_counters (void)
{
  g_autoptr(ConfabTestServer) server = confab_test_server_new (NULL, FAST_HASHING);
  g_autoptr(ConfabTestUser) alice = confab_test_user_new (server, "alice");
  g_autoptr(ConfabTestUser) bob = confab_test_user_new (server, "bob");
  g_autoptr(ConfabTestClient) a = NULL;
  g_autoptr(ConfabTestClient) b = NULL;
  g_autoptr(ConfabTestClient) b2 = NULL;
  g_autoptr(Scrape) before = NULL;
  g_autoptr(Scrape) after = NULL;
  g_autoptr(JsonObject) repeat = NULL;
  g_autoptr(JsonObject) bogus = NULL;
  g_autofree char *bogus_id = NULL;

#define DELTA(key) (sample (after, key) - sample (before, key))

  before = scrape (server);
  g_assert_cmpfloat (sample (before, "confab_sessions"), ==, 0);

  a = confab_test_client_new (server, alice->token, 0);
  b = confab_test_client_new (server, bob->token, 0);
  b2 = confab_test_client_new (server, bob->token, 0);   /* a second connection of bob's */
  /* HTTP: a sign-in, a refused one, a path that is no route. */
  g_free (confab_test_login (server, "alice", alice->password, NULL));
  g_assert_cmpuint (confab_test_http (server, "POST", "/v1/login", NULL,
                                      "{\"username\":\"alice\",\"password\":\"not-hers\"}",
                                      NULL, NULL), ==, 401);
  g_assert_cmpuint (confab_test_http (server, "GET", "/v1/no/such/path/x1", NULL, NULL, NULL,
                                      NULL), ==, 404);

  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *params = g_strdup_printf (
        "{\"conv\":\"dm:alice:bob\",\"client_msg_id\":\"m-%u\",\"body\":\"hello %u\"}", i, i);
      g_autoptr(JsonObject) reply = confab_test_client_call (a, "send", "%s", params);

      confab_test_assert_ok (reply);
      g_assert_nonnull (confab_test_client_wait_event (b, "message", T));
      g_assert_nonnull (confab_test_client_wait_event (b2, "message", T));
    }
  /* The same client_msg_id again stores nothing. */
  repeat = confab_test_client_call (a, "send", "{\"conv\":\"dm:alice:bob\","
                                    "\"client_msg_id\":\"m-0\",\"body\":\"hello 0\"}");
  confab_test_assert_ok (repeat);
  /* Refused requests, by their code. */
  confab_test_client_call_error (a, "bad_request", "send", "{\"conv\":\"dm:alice:bob\"}");
  confab_test_client_call_error (a, "forbidden", "history", "{\"conv\":\"dm:bob:carol\"}");
  /* A type nobody answers is counted as unknown, not by the name the client gave. */
  bogus_id = confab_test_client_send (a, "no-such-type-42", "{}");
  bogus = confab_test_client_wait_response (a, bogus_id, T);
  confab_test_assert_error (bogus, "bad_request");

  after = scrape (server);

  g_assert_cmpfloat (DELTA ("confab_messages_stored_total"), ==, 3);
  g_assert_cmpfloat (DELTA ("confab_requests_total{outcome=\"ok\",type=\"send\"}"), ==, 4);
  g_assert_cmpfloat (DELTA ("confab_requests_total{outcome=\"bad_request\",type=\"send\"}"), ==,
                     1);
  g_assert_cmpfloat (DELTA ("confab_requests_total{outcome=\"forbidden\",type=\"history\"}"), ==,
                     1);
  g_assert_cmpfloat (DELTA ("confab_requests_total{outcome=\"bad_request\",type=\"unknown\"}"),
                     ==, 1);
  g_assert_cmpfloat (DELTA ("confab_requests_total{outcome=\"ok\",type=\"hello\"}"), ==, 3);
  g_assert_cmpfloat (DELTA ("confab_request_duration_seconds_count{type=\"send\"}"), ==, 5);
  g_assert_cmpfloat (DELTA ("confab_request_duration_seconds_count{type=\"hello\"}"), ==, 3);
  g_assert_cmpfloat (DELTA ("confab_request_duration_seconds_sum{type=\"send\"}"), >, 0);
  g_assert_null (g_hash_table_lookup (after->samples,
                                      "confab_requests_total{outcome=\"bad_request\","
                                      "type=\"no-such-type-42\"}"));
  g_assert_cmpfloat (DELTA ("confab_http_requests_total{route=\"POST /v1/login\",status=\"200\"}"),
                     ==, 1);
  g_assert_cmpfloat (DELTA ("confab_http_requests_total{route=\"POST /v1/login\",status=\"401\"}"),
                     ==, 1);
  g_assert_cmpfloat (DELTA ("confab_http_requests_total{route=\"other\",status=\"404\"}"), ==, 1);
  /* The scrape before this one, counted once it was answered. */
  g_assert_cmpfloat (DELTA ("confab_http_requests_total{route=\"GET /metrics\",status=\"200\"}"),
                     ==, 1);
  g_assert_cmpfloat (DELTA ("confab_http_requests_total{route=\"GET /v1/ws\",status=\"101\"}"),
                     ==, 3);
  /* Each message went to bob's two connections; alice's own learns of it from its response. */
  g_assert_cmpfloat (DELTA ("confab_fanout_deliveries_total"), ==, 6);
  g_assert_cmpfloat (sample (after, "confab_connections_open"), ==, 3);
  g_assert_cmpfloat (sample (after, "confab_sessions"), ==, 3);
  g_assert_cmpfloat (sample (after, "confab_users_online"), ==, 2);
  /* Every send was a unit of work of some committed batch. */
  g_assert_cmpfloat (DELTA ("confab_store_batch_size_sum"), >=, 4);
  g_assert_cmpfloat (DELTA ("confab_store_batch_size_count"), >=, 1);
  g_assert_cmpfloat (DELTA ("confab_store_commit_duration_seconds_count"), >=, 1);

  /* Gauges come down again. */
  confab_test_client_close (b2);
  g_clear_pointer (&b2, confab_test_client_free);
  for (gint64 end = g_get_monotonic_time () + T * 1000; ;)
    {
      g_autoptr(Scrape) now = scrape (server);

      if (sample (now, "confab_sessions") == 2 && sample (now, "confab_connections_open") == 2)
        break;
      g_assert_cmpint (g_get_monotonic_time (), <, end);
      confab_test_drain (50);
    }
#undef DELTA
}

/* --- The replay backlog ------------------------------------------------------------------------ */

#define BACKLOG_MESSAGES 1000
#define BACKLOG_BODY     12000

static gboolean
backlog_is (ConfabTestServer *server,
            gboolean          nonzero)
{
  g_autoptr(Scrape) s = scrape (server);

  return (sample (s, "confab_replay_backlog") > 0) == nonzero;
}

static gboolean
backlog_nonzero (gpointer server)
{
  return backlog_is (server, TRUE);
}

static gboolean
backlog_zero (gpointer server)
{
  return backlog_is (server, FALSE);
}

/* Alice comes back to 1 000 messages of 12 000 characters and does not read them: her replay
 * waits, fetched from the store but not sent (a batch is far more than the kernel's buffers
 * take), and the gauge shows it until she goes. */
static void
test_replay_backlog (void)
{
  g_autoptr(ConfabTestServer) server = confab_test_server_new (
    NULL, FAST_HASHING "[limits]\nmessages_per_minute=0\nmax_queued_bytes=65536\n"
    "[timeouts]\nslow_reader_s=600\n");
  g_autoptr(ConfabTestUser) alice = confab_test_user_new (server, "alice");
  g_autoptr(ConfabTestUser) bob = confab_test_user_new (server, "bob");
  g_autoptr(ConfabTestClient) sender = confab_test_client_new (server, bob->token, 0);
  g_autoptr(ConfabTestRawPeer) peer = NULL;
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *body = g_strnfill (BACKLOG_BODY, 'x');
  g_autoptr(Scrape) during = NULL;

  /* 100 in flight at a time: the answers stay far under the output cap. */
  for (guint i = 0; i < BACKLOG_MESSAGES; i++)
    {
      g_ptr_array_add (ids, confab_test_client_send (sender, "send",
                                                     "{\"conv\":\"dm:alice:bob\","
                                                     "\"client_msg_id\":\"b%u\","
                                                     "\"body\":\"%s\"}", i, body));
      if (ids->len < 100 && i + 1 < BACKLOG_MESSAGES)
        continue;
      for (guint r = 0; r < ids->len; r++)
        {
          g_autoptr(JsonObject) response = confab_test_client_wait_response (
            sender, g_ptr_array_index (ids, r), 6 * T);

          confab_test_assert_ok (response);
        }
      g_ptr_array_set_size (ids, 0);
    }
  g_assert_true (backlog_zero (server));

  peer = confab_test_raw_peer_new (server, alice->token, FALSE);
  g_assert_true (confab_test_wait_until (backlog_nonzero, server, T));
  during = scrape (server);
  g_test_message ("replay backlog while alice does not read: %.0f",
                  sample (during, "confab_replay_backlog"));
  g_assert_cmpfloat (sample (during, "confab_replay_backlog"), <=, BACKLOG_MESSAGES);
  g_assert_cmpfloat (sample (during, "confab_sessions"), ==, 2);

  /* What waits is hers: the first frames she reads bring a message. */
  g_assert_cmpuint (confab_test_raw_read_frames (peer, NULL, "message"), ==, 0);
  /* She goes: what waited for her is let go. */
  g_clear_pointer (&peer, confab_test_raw_peer_free);
  g_assert_true (confab_test_wait_until (backlog_zero, server, T));
}

/* --- Who may scrape ---------------------------------------------------------------------------- */

static void
test_allow (void)
{
  /* An allow list without the loopback address: 403 from 127.0.0.1. */
  g_autoptr(ConfabTestServer) elsewhere = confab_test_server_new (
    NULL, "[metrics]\nallow=192.0.2.0/24;2001:db8::1\n");
  g_autoptr(ConfabTestServer) listed = confab_test_server_new (
    NULL, "[metrics]\nallow=10.1.2.3;127.0.0.0/8\n");
  g_autoptr(JsonObject) refused = NULL;
  g_autofree char *body = NULL;

  g_assert_cmpuint (confab_test_http (elsewhere, "GET", "/metrics", NULL, NULL, &refused, NULL),
                    ==, 403);
  g_assert_cmpstr (confab_test_error_code (refused), ==, "forbidden");
  g_assert_cmpuint (confab_test_http (listed, "GET", "/metrics", NULL, NULL, NULL, &body), ==,
                    200);
  g_assert_nonnull (strstr (body, "# TYPE confab_requests_total counter\n"));
  confab_test_server_assert_running (elsewhere);
}

static void
test_allow_invalid (void)
{
  const char *confabd = g_getenv ("CONFABD");
  g_autofree char *dir = confab_test_make_dir ("allow-invalid");
  g_autofree char *config = g_build_filename (dir, "confabd.conf", NULL);
  g_autofree char *data = g_build_filename (dir, "data", NULL);
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  int status = 0;
  const char *argv[] = { confabd, "--data-dir", data, "--listen", "127.0.0.1:0", "--plain",
                         "--config", config, NULL };

  g_assert_nonnull (confabd);
  g_assert_true (g_file_set_contents (config, "[metrics]\nallow=127.0.0.1;office-network\n", -1,
                                      NULL));
  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
                               NULL, &err, &status, &error));
  g_assert_no_error (error);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 2);
  g_assert_nonnull (strstr (err, "[metrics] allow: 'office-network'"));
}

/* --- Bad requests to the endpoint ------------------------------------------------------------- */

static void
test_bad_input (void)
{
  g_autoptr(ConfabTestServer) server = confab_test_server_new (NULL, NULL);
  static const char * const methods[] = { "POST", "PUT", "DELETE", "PATCH", NULL };
  g_autoptr(JsonObject) query = NULL;
  g_autofree char *response = NULL;

  for (guint i = 0; methods[i] != NULL; i++)
    {
      g_autoptr(JsonObject) reply = NULL;

      g_test_message ("%s /metrics", methods[i]);
      g_assert_cmpuint (confab_test_http (server, methods[i], "/metrics", NULL, "{}", &reply,
                                          NULL), ==, 405);
      g_assert_cmpstr (confab_test_error_code (reply), ==, "bad_request");
    }
  g_assert_cmpuint (confab_test_http (server, "GET", "/metrics?name[]=confab_sessions", NULL,
                                      NULL, &query, NULL), ==, 400);
  g_assert_cmpstr (confab_test_error_code (query), ==, "bad_request");
  /* Paths beside it are not it. */
  g_assert_cmpuint (confab_test_http (server, "GET", "/metrics/", NULL, NULL, NULL, NULL), ==,
                    404);
  g_assert_cmpuint (confab_test_http (server, "GET", "/metricsx", NULL, NULL, NULL, NULL), ==,
                    404);
  /* HTTP/1.0 without a Host header, as the simplest scrapers send it. */
  g_assert_cmpuint (confab_test_raw_http (server, "GET /metrics HTTP/1.0\r\n\r\n", &response),
                    ==, 200);
  g_assert_nonnull (strstr (response, "confab_sessions 0\n"));
  confab_test_server_assert_running (server);
}

/* --- Structured logs --------------------------------------------------------------------------- */

/* The log records (lines of KEY=value pairs) with CONFAB_EVENT=@event and each of @fields
 * ("KEY=value", NULL-terminated) present. */
static guint
count_records (const char         *log,
               const char         *event,
               const char * const *fields)
{
  g_auto(GStrv) lines = g_strsplit (log, "\n", -1);
  g_autofree char *event_field = g_strdup_printf (" CONFAB_EVENT=%s ", event);
  guint count = 0;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autofree char *line = g_strdup_printf (" %s ", lines[i]);
      gboolean all = strstr (line, event_field) != NULL && strstr (line, " MESSAGE=") != NULL
                     && strstr (line, " PRIORITY=") != NULL;

      for (guint f = 0; all && fields[f] != NULL; f++)
        {
          g_autofree char *field = g_strdup_printf (" %s ", fields[f]);

          all = strstr (line, field) != NULL;
        }
      count += all;
    }
  return count;
}

#define FIELDS(...) ((const char * const[]) { __VA_ARGS__, NULL })

static void
test_logs (void)
{
  g_autoptr(ConfabTestServer) server = NULL;
  g_autoptr(ConfabTestUser) alice = NULL;
  g_autoptr(ConfabTestUser) bob = NULL;
  g_autoptr(ConfabTestClient) a = NULL;
  g_autoptr(ConfabTestClient) b = NULL;
  g_autoptr(JsonObject) wrong = NULL;
  g_autoptr(JsonObject) denied = NULL;
  g_autoptr(JsonObject) patched = NULL;
  g_autoptr(JsonObject) sent = NULL;
  g_autoptr(JsonObject) refused = NULL;
  g_autofree char *refused_id = NULL;
  g_autofree char *bob_device = NULL;
  g_autofree char *bob_token = NULL;
  const char *secret_body = "body-that-must-not-be-logged-7f3a";
  const char *log;

  /* Every record as a line of fields, INFO and DEBUG of the domains that see secrets pass
   * by included (not the test's own: GLib's debug lines would break its TAP output). */
  g_setenv ("CONFAB_LOG_FORMAT", "fields", TRUE);
  g_setenv ("G_MESSAGES_DEBUG", "confab-connection confab-accounts confab-db-worker", TRUE);
  server = confab_test_server_new (NULL, FAST_HASHING);
  g_unsetenv ("CONFAB_LOG_FORMAT");
  g_unsetenv ("G_MESSAGES_DEBUG");

  alice = confab_test_user_new (server, "alice");   /* the first account: an administrator */
  bob = confab_test_user_new (server, "bob");
  g_assert_cmpuint (confab_test_http (server, "POST", "/v1/login", NULL,
                                      "{\"username\":\"bob\",\"password\":\"wrong-pw-9c1e\"}",
                                      &wrong, NULL), ==, 401);

  a = confab_test_client_new (server, alice->token, 0);
  b = confab_test_client_new (server, bob->token, 0);
  {
    g_autofree char *params = g_strdup_printf ("{\"conv\":\"dm:alice:bob\","
                                               "\"client_msg_id\":\"s-1\",\"body\":\"%s\"}",
                                               secret_body);

    sent = confab_test_client_call (a, "send", "%s", params);
    confab_test_assert_ok (sent);
  }
  /* A refused WebSocket request: bob edits alice's message. */
  refused_id = confab_test_client_send (
    b, "edit", "{\"msg_id\":%" G_GINT64_FORMAT ",\"body\":\"%s\"}",
    json_object_get_int_member (json_object_get_object_member (
                                  json_object_get_object_member (sent, "result"), "msg"), "id"),
    secret_body);
  refused = confab_test_client_wait_response (b, refused_id, T);
  confab_test_assert_error (refused, "forbidden");

  /* An admin path: refused to bob, done by alice. */
  g_assert_cmpuint (confab_test_http (server, "GET", "/v1/admin/users", bob->token, NULL,
                                      &denied, NULL), ==, 403);
  g_assert_cmpuint (confab_test_http (server, "PATCH", "/v1/admin/users/bob", alice->token,
                                      "{\"password\":\"new-pw-for-bob-5d2b\"}", &patched, NULL),
                    ==, 200);
  /* A second device of bob's, signed out again. */
  bob_token = confab_test_login (server, "bob", "new-pw-for-bob-5d2b", &bob_device);
  g_assert_cmpuint (confab_test_http (server, "POST", "/v1/logout", bob_token, NULL, NULL, NULL),
                    ==, 204);
  g_assert_true (confab_test_client_wait_closed (b, T));   /* the password change ended it */

  /* Records are written as they happen; the server is stopped so that all of them are in. */
  confab_test_server_stop (server);
  log = confab_test_server_get_log (server);

  g_assert_cmpuint (count_records (log, "register",
                                   FIELDS ("CONFAB_USER=bob", "CONFAB_OUTCOME=ok",
                                           "CONFAB_ADDRESS=127.0.0.1")), ==, 1);
  g_assert_cmpuint (count_records (log, "sign_in",
                                   FIELDS ("CONFAB_USER=alice", "CONFAB_REQUEST=login",
                                           "CONFAB_OUTCOME=ok", "CONFAB_ADDRESS=127.0.0.1",
                                           "PRIORITY=5", "GLIB_DOMAIN=confab-accounts")), ==, 1);
  g_assert_cmpuint (count_records (log, "sign_in",
                                   FIELDS ("CONFAB_USER=bob", "CONFAB_OUTCOME=ok")), ==, 2);
  {
    g_autofree char *device = g_strdup_printf ("CONFAB_DEVICE=%s", bob_device);

    g_assert_cmpuint (count_records (log, "sign_in", FIELDS ("CONFAB_USER=bob", device)), ==, 1);
    g_assert_cmpuint (count_records (log, "sign_out",
                                     FIELDS ("CONFAB_USER=bob", device, "CONFAB_REQUEST=logout",
                                             "CONFAB_OUTCOME=ok")), ==, 1);
  }
  g_assert_cmpuint (count_records (log, "refused",
                                   FIELDS ("CONFAB_USER=bob", "CONFAB_REQUEST=login",
                                           "CONFAB_OUTCOME=unauthorized")), ==, 1);
  g_assert_cmpuint (count_records (log, "refused",
                                   FIELDS ("CONFAB_USER=bob", "CONFAB_REQUEST=denied",
                                           "CONFAB_OUTCOME=forbidden",
                                           "CONFAB_TARGET=/v1/admin/users")), ==, 1);
  g_assert_cmpuint (count_records (log, "admin",
                                   FIELDS ("CONFAB_USER=alice", "CONFAB_REQUEST=user_update",
                                           "CONFAB_TARGET=bob", "CONFAB_OUTCOME=ok")), ==, 1);
  g_assert_cmpuint (count_records (log, "refused",
                                   FIELDS ("CONFAB_USER=bob", "CONFAB_REQUEST=edit",
                                           "CONFAB_OUTCOME=forbidden", "PRIORITY=6")), ==, 1);
  g_assert_cmpuint (count_records (log, "session_start",
                                   FIELDS ("CONFAB_USER=alice", "PRIORITY=6")), ==, 1);
  g_assert_cmpuint (count_records (log, "session_end", FIELDS ("CONFAB_USER=bob")), ==, 1);

  /* No password, token or body anywhere in what the server wrote. */
  g_assert_null (strstr (log, alice->password));
  g_assert_null (strstr (log, bob->password));
  g_assert_null (strstr (log, "wrong-pw-9c1e"));
  g_assert_null (strstr (log, "new-pw-for-bob-5d2b"));
  g_assert_null (strstr (log, alice->token));
  g_assert_null (strstr (log, bob->token));
  g_assert_null (strstr (log, bob_token));
  g_assert_null (strstr (log, secret_body));
}

/* A refused WebSocket hello is logged with its outcome, at MESSAGE level. */
static void
test_logs_refused_hello (void)
{
  g_autoptr(ConfabTestServer) server = NULL;
  g_autoptr(ConfabTestClient) client = NULL;
  g_autoptr(JsonObject) reply = NULL;
  const char *log;

  g_setenv ("CONFAB_LOG_FORMAT", "fields", TRUE);
  server = confab_test_server_new (NULL, FAST_HASHING);
  g_unsetenv ("CONFAB_LOG_FORMAT");

  client = confab_test_client_connect (server);
  reply = confab_test_client_hello (client, "not-a-token-3b9d", 0);
  confab_test_assert_error (reply, "unauthorized");
  confab_test_client_wait_closed (client, T);

  confab_test_server_stop (server);
  log = confab_test_server_get_log (server);
  g_assert_cmpuint (count_records (log, "refused",
                                   FIELDS ("CONFAB_REQUEST=hello", "CONFAB_OUTCOME=unauthorized",
                                           "CONFAB_ADDRESS=127.0.0.1", "PRIORITY=5")), ==, 1);
  g_assert_null (strstr (log, "not-a-token-3b9d"));
}

int
main (int   argc,
      char *argv[])
{
  confab_test_init (&argc, &argv);

  g_test_add_func ("/confab/metrics/parser", test_parser);
  g_test_add_func ("/confab/metrics/families", test_families);
  g_test_add_func ("/confab/metrics/counters", test_counters);
  g_test_add_func ("/confab/metrics/replay-backlog", test_replay_backlog);
  g_test_add_func ("/confab/metrics/allow", test_allow);
  g_test_add_func ("/confab/metrics/allow-invalid", test_allow_invalid);
  g_test_add_func ("/confab/metrics/bad-input", test_bad_input);
  g_test_add_func ("/confab/metrics/logs", test_logs);
  g_test_add_func ("/confab/metrics/logs-refused-hello", test_logs_refused_hello);

  return confab_test_run ();
}
