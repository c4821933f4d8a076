/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "confab-test-util.h"
#include "confab-directory.h"
#include "confab-frame.h"
#include "confab-sqlite-store.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Benchmarks of the people capabilities against a real confabd (see docs/benchmarks.md):
 *
 *   confab-people-bench directory [--users N] [--searches S]
 *       N accounts written straight into a new server's database (the directory's triggers
 *       index them as any insert would), then S directory_search requests, one at a time,
 *       over one WebSocket; the round trip of each, by kind of query. Then the same mix
 *       again in this process on the server's store (confabd stopped): the time of the search
 *       itself, without the network and the JSON of the client.
 *
 *   confab-people-bench broadcast [--users N] [--online M]
 *       N accounts, M of them connected; an admin announces to everyone, twice: the time until
 *       every connected account has the event, the rows each announcement added to the
 *       database, and the replay of one account that was offline.
 *
 * The server runs with plain HTTP on loopback; the accounts get no password anyone could use.
 */

#define FAST_HASHING "[security]\nargon2_opslimit=1\nargon2_memlimit_kib=8\n"

static const char * const first_names[] = {
  "Olena", "Ivan", "Maria", "José", "Fernando", "Анна", "Олег", "John", "Peter", "Anna",
  "Lukas", "Zoë", "Chloé", "Søren", "Дмитро", "Ірина", "Taras", "Sofía", "Björn", "Renée",
  "Mykola", "Юлія", "Andriy", "Ines", "Eva", "François", "Hanna", "Петро", "Li", "Amir",
};
static const char * const last_names[] = {
  "Kovalenko", "Fernández", "Smith", "Müller", "Шевченко", "Petrenko", "García", "Nowak",
  "Doe", "Brown", "Коваленко", "Bondar", "Іваненко", "Lee", "Núñez", "Horváth", "Larsen",
  "Rossi", "Blanc", "Мельник", "Ткаченко", "Kravets", "Savchenko", "Costa", "Novák",
  "Dupont", "Martin", "Лісова", "Wei", "Haddad", "Kowalski", "Schmidt", "Bianchi", "Silva",
};
static const char * const departments[] = {
  "Engineering", "Sales", "Marketing", "Finance", "Human Resources", "Бухгалтерія", "Support",
  "Legal", "Research", "Operations", "Logistics", "Design",
};
static const char * const titles[] = {
  "Engineer", "Senior Engineer", "Manager", "Director", "Analyst", "Intern", "Designer",
  "Account Manager", "Бухгалтер", "Specialist",
};
static const char * const locations[] = {
  "Kyiv", "Lviv", "Berlin", "Madrid", "Remote", "London", "Paris", "Warsaw",
};

#define PICK(array) (array)[g_random_int_range (0, G_N_ELEMENTS (array))]

static void
fill_users (ConfabTestServer *server,
            guint             n_users)
{
  g_autofree char *path = g_build_filename (confab_test_server_get_data_dir (server),
                                            "confab.db", NULL);
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  gint64 start = g_get_monotonic_time ();

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "BEGIN", NULL, NULL, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db,
                                       "INSERT INTO users (username, password_hash,"
                                       " display_name, email, department, title, location,"
                                       " created_ts) VALUES (?, '!', ?, ?, ?, ?, ?, 0)",
                                       -1, &stmt, NULL), ==, SQLITE_OK);
  for (guint i = 0; i < n_users; i++)
    {
      g_autofree char *username = g_strdup_printf ("user%06u", i);
      g_autofree char *name = g_strdup_printf ("%s %s", PICK (first_names), PICK (last_names));
      g_autofree char *email = g_strdup_printf ("%s@example.com", username);

      sqlite3_bind_text (stmt, 1, username, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, name, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 3, email, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 4, PICK (departments), -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 5, PICK (titles), -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 6, PICK (locations), -1, SQLITE_STATIC);
      g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
      sqlite3_reset (stmt);
    }
  sqlite3_finalize (stmt);
  g_assert_cmpint (sqlite3_exec (db, "COMMIT", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
  g_printerr ("%u accounts written and indexed in %.1f s\n", n_users,
              (g_get_monotonic_time () - start) / 1e6);
}

/* Writes devices whose tokens are "token-<username>" for the first @n_online accounts. */
static void
fill_devices (ConfabTestServer *server,
              guint             n_online)
{
  g_autofree char *path = g_build_filename (confab_test_server_get_data_dir (server),
                                            "confab.db", NULL);
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "BEGIN", NULL, NULL, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db,
                                       "INSERT INTO devices (device_id, username, name,"
                                       " token_hash, created_ts) VALUES (?1, ?1, 'bench', ?2, 0)",
                                       -1, &stmt, NULL), ==, SQLITE_OK);
  for (guint i = 0; i < n_online; i++)
    {
      g_autofree char *username = g_strdup_printf ("user%06u", i);
      g_autofree char *token = g_strdup_printf ("token-%s", username);
      g_autofree char *hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, token, -1);

      sqlite3_bind_text (stmt, 1, username, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, hash, -1, SQLITE_STATIC);
      g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
      sqlite3_reset (stmt);
    }
  sqlite3_finalize (stmt);
  g_assert_cmpint (sqlite3_exec (db, "COMMIT", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
}

typedef struct
{
  ConfabTestClient **clients;
  guint              n;
} Online;

static gboolean
all_have_broadcast (gpointer user_data)
{
  Online *online = user_data;

  for (guint i = 0; i < online->n; i++)
    if (confab_test_client_peek_event (online->clients[i], "broadcast") == NULL)
      return FALSE;
  return TRUE;
}

static const char * const counted_tables[] = {
  "events", "inbox", "stream_members", "broadcasts",
};

static void
announce (ConfabTestServer *server,
          ConfabTestClient *admin,
          Online           *online,
          const char       *body)
{
  gint64 before[G_N_ELEMENTS (counted_tables)];
  g_autoptr(JsonObject) result = NULL;
  gint64 start;
  gint64 answered;
  gint64 delivered;

  for (guint t = 0; t < G_N_ELEMENTS (counted_tables); t++)
    {
      g_autofree char *sql = g_strdup_printf ("SELECT count (*) FROM %s", counted_tables[t]);

      before[t] = confab_test_server_db_int (server, sql);
    }

  start = g_get_monotonic_time ();
  result = confab_test_client_call_ok (admin, "broadcast",
                                       "{\"body\":\"%s\",\"audience\":{\"all\":true}}", body);
  answered = g_get_monotonic_time ();
  if (!confab_test_wait_until (all_have_broadcast, online, 30000))
    g_error ("not every connection got the announcement within 30 s");
  delivered = g_get_monotonic_time ();

  printf ("%s: recipients %" G_GINT64_FORMAT ", answered after %.1f ms, on all %u connections"
          " after %.1f ms\n", body, json_object_get_int_member (result, "recipients"),
          (answered - start) / 1000.0, online->n, (delivered - start) / 1000.0);
  printf ("  rows added:");
  for (guint t = 0; t < G_N_ELEMENTS (counted_tables); t++)
    {
      g_autofree char *sql = g_strdup_printf ("SELECT count (*) FROM %s", counted_tables[t]);

      printf (" %s +%" G_GINT64_FORMAT, counted_tables[t], confab_test_server_db_int (server, sql) - before[t]);
    }
  printf ("\n");
  for (guint i = 0; i < online->n; i++)
    json_object_unref (confab_test_client_wait_event (online->clients[i], "broadcast", 1000));
}

static int
bench_broadcast (guint n_users,
                 guint n_online)
{
  g_autoptr(ConfabTestServer) server = confab_test_server_new (NULL, FAST_HASHING);
  g_autoptr(ConfabTestUser) boss = confab_test_user_new (server, "bench.admin");
  g_autoptr(ConfabTestClient) admin = NULL;
  Online online = { g_new0 (ConfabTestClient *, n_online), n_online };
  gint64 start;

  confab_test_server_stop (server);
  fill_users (server, n_users);
  fill_devices (server, n_online);
  confab_test_server_start (server);
  admin = confab_test_client_new (server, boss->token, 0);

  start = g_get_monotonic_time ();
  for (guint i = 0; i < n_online; i++)
    {
      g_autofree char *token = g_strdup_printf ("token-user%06u", i);

      online.clients[i] = confab_test_client_new (server, token, 0);
    }
  g_printerr ("%u connections signed in in %.1f s\n", n_online,
              (g_get_monotonic_time () - start) / 1e6);
  confab_test_drain (500);

  printf ("broadcast to all: %u accounts, %u of them connected\n", n_users + 1, n_online);
  announce (server, admin, &online, "First announcement");
  announce (server, admin, &online, "Second announcement");

  /* An account that was offline gets both on its next hello. */
  {
    g_autofree char *username = g_strdup_printf ("user%06u", n_users - 1);
    g_autofree char *token = NULL;
    g_autoptr(ConfabTestClient) late = NULL;
    guint got = 0;

    confab_test_server_stop (server);
    {
      g_autofree char *hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, "token-late",
                                                             -1);
      g_autofree char *sql = g_strdup_printf ("INSERT INTO devices (device_id, username, name,"
                                              " token_hash, created_ts) VALUES ('late', '%s',"
                                              " 'bench', '%s', 0)", username, hash);

      confab_test_server_db_exec (server, sql);
    }
    for (guint i = 0; i < n_online; i++)
      g_clear_pointer (&online.clients[i], confab_test_client_free);
    confab_test_server_start (server);
    token = g_strdup ("token-late");
    start = g_get_monotonic_time ();
    late = confab_test_client_new (server, token, 0);
    json_object_unref (confab_test_client_wait_event (late, "synced", 10000));
    got = confab_test_client_count_events (late, "broadcast");
    printf ("an account that was offline: %u announcements replayed, synced after %.1f ms\n",
            got, (g_get_monotonic_time () - start) / 1000.0);
  }
  g_free (online.clients);
  return 0;
}

static int
compare_gint64 (gconstpointer a,
                gconstpointer b)
{
  gint64 x = *(const gint64 *) a;
  gint64 y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

static double
percentile_ms (GArray *sorted,
               double  p)
{
  guint index;

  if (sorted->len == 0)
    return 0;
  index = MIN (sorted->len - 1, (guint) (p * sorted->len));
  return g_array_index (sorted, gint64, index) / 1000.0;
}

typedef struct
{
  const char *name;
  GArray     *times;      /* of gint64 µs */
  gint64      total_hits;
} Kind;

/* A prefix of 1 to 5 characters of @word. */
static char *
prefix_of (const char *word,
           guint       max_chars)
{
  glong len = g_utf8_strlen (word, -1);
  guint n = g_random_int_range (1, MIN ((glong) max_chars, len) + 1);

  return g_utf8_substring (word, 0, n);
}

static char *
make_query (guint  kind)
{
  switch (kind)
    {
    case 0: /* someone's surname as typed: 2 to 5 letters */
      {
        g_autofree char *p = NULL;

        do
          {
            g_free (p);
            p = prefix_of (PICK (last_names), 5);
          }
        while (g_utf8_strlen (p, -1) < 2);
        return g_strdup_printf ("\"query\":\"%s\"", p);
      }
    case 1: /* first and last name */
      return g_strdup_printf ("\"query\":\"%s %s\"", PICK (first_names), PICK (last_names));
    case 2: /* a department, whole */
      return g_strdup_printf ("\"department\":\"%s\"", PICK (departments));
    case 3: /* a department and a name prefix */
      {
        g_autofree char *p = prefix_of (PICK (first_names), 4);

        return g_strdup_printf ("\"department\":\"%s\",\"query\":\"%s\"", PICK (departments), p);
      }
    case 4: /* the first keystroke: one letter */
      {
        g_autofree char *p = prefix_of (PICK (last_names), 1);

        return g_strdup_printf ("\"query\":\"%s\"", p);
      }
    case 5: /* a word everyone has (their email's domain), second page */
      return g_strdup ("\"query\":\"example\",\"offset\":20");
    case 6: /* everyone, a deep page */
      return g_strdup_printf ("\"offset\":%u", g_random_int_range (0, 50000));
    default: /* title and location */
      return g_strdup_printf ("\"title\":\"%s\",\"location\":\"%s\"", PICK (titles),
                              PICK (locations));
    }
}

static void
search_done_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  ConfabStoreReply **reply = user_data;
  g_autoptr(GError) error = NULL;

  *reply = confab_store_finish (CONFAB_STORE (source), result, &error);
  g_assert_no_error (error);
}

/* The query mix of make_query() as a ConfabDirectoryQuery, by parsing its JSON members. */
static ConfabStoreReply *
store_search (ConfabStore *store,
              const char  *params)
{
  g_autofree char *json = g_strdup_printf ("{%s}", params);
  g_autoptr(JsonObject) object = confab_frame_parse (json, strlen (json), NULL);
  ConfabDirectoryQuery query = { 0 };
  ConfabStoreReply *reply = NULL;

  query.text = json_object_get_string_member_with_default (object, "query", NULL);
  query.department = json_object_get_string_member_with_default (object, "department", NULL);
  query.title = json_object_get_string_member_with_default (object, "title", NULL);
  query.location = json_object_get_string_member_with_default (object, "location", NULL);
  query.offset = json_object_get_int_member_with_default (object, "offset", 0);
  query.limit = 20;
  confab_directory_search_async (store, &query, NULL, search_done_cb, &reply);
  while (reply == NULL)
    g_main_context_iteration (NULL, TRUE);
  return reply;
}

static int
bench_directory (guint n_users,
                 guint n_searches)
{
  static const char * const kind_names[] = {
    "surname prefix (2-5 letters)", "first and last name", "department filter",
    "department + name prefix", "one letter", "\"example\" (all match), page 2",
    "no query, random deep page", "title + location filters",
  };
  Kind kinds[G_N_ELEMENTS (kind_names)];
  g_autoptr(ConfabTestServer) server = confab_test_server_new (NULL, FAST_HASHING);
  g_autoptr(ConfabTestUser) user = NULL;
  g_autoptr(ConfabTestClient) client = NULL;
  g_autoptr(GArray) all = g_array_new (FALSE, FALSE, sizeof (gint64));

  confab_test_server_stop (server);
  fill_users (server, n_users);
  confab_test_server_start (server);
  user = confab_test_user_new (server, "bench.searcher");
  client = confab_test_client_new (server, user->token, 0);

  for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
    {
      kinds[k].name = kind_names[k];
      kinds[k].times = g_array_new (FALSE, FALSE, sizeof (gint64));
      kinds[k].total_hits = 0;
    }

  /* The first search builds the in-memory order of the directory. */
  {
    gint64 start = g_get_monotonic_time ();

    json_object_unref (confab_test_client_call_ok (client, "directory_search", "{}"));
    g_printerr ("first search (builds the order of %u names): %.1f ms\n", n_users + 1,
                (g_get_monotonic_time () - start) / 1000.0);
  }

  for (guint i = 0; i < n_searches; i++)
    {
      guint k = i % G_N_ELEMENTS (kinds);
      g_autofree char *params = make_query (k);
      g_autoptr(JsonObject) result = NULL;
      gint64 start = g_get_monotonic_time ();
      gint64 elapsed;

      result = confab_test_client_call_ok (client, "directory_search", "{%s}", params);
      elapsed = g_get_monotonic_time () - start;
      g_array_append_val (kinds[k].times, elapsed);
      g_array_append_val (all, elapsed);
      kinds[k].total_hits += json_object_get_int_member (result, "total");
    }

  printf ("directory_search over %u accounts, %u searches, round trip over WebSocket\n",
          n_users + 1, n_searches);
  printf ("%-34s %8s %8s %8s %8s %10s\n", "query", "p50 ms", "p95 ms", "p99 ms", "max ms",
          "avg total");
  for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
    {
      g_array_sort (kinds[k].times, compare_gint64);
      printf ("%-34s %8.2f %8.2f %8.2f %8.2f %10" G_GINT64_FORMAT "\n", kinds[k].name,
              percentile_ms (kinds[k].times, 0.50), percentile_ms (kinds[k].times, 0.95),
              percentile_ms (kinds[k].times, 0.99),
              percentile_ms (kinds[k].times, 1.0),
              kinds[k].times->len > 0 ? kinds[k].total_hits / kinds[k].times->len : 0);
      g_array_unref (kinds[k].times);
    }
  g_array_sort (all, compare_gint64);
  printf ("%-34s %8.2f %8.2f %8.2f %8.2f\n", "all", percentile_ms (all, 0.50),
          percentile_ms (all, 0.95), percentile_ms (all, 0.99), percentile_ms (all, 1.0));
  fflush (stdout);

  /* The search itself, on the store, in this process. */
  g_clear_pointer (&client, confab_test_client_free);
  confab_test_server_stop (server);
  {
    g_autofree char *path = g_build_filename (confab_test_server_get_data_dir (server),
                                              "confab.db", NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(ConfabSqliteStore) store = confab_sqlite_store_new (path, &error);

    g_assert_no_error (error);
    g_array_set_size (all, 0);
    for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
      kinds[k].times = g_array_new (FALSE, FALSE, sizeof (gint64));
    confab_store_reply_free (store_search (CONFAB_STORE (store), ""));
    for (guint i = 0; i < n_searches; i++)
      {
        guint k = i % G_N_ELEMENTS (kinds);
        g_autofree char *params = make_query (k);
        gint64 start = g_get_monotonic_time ();
        gint64 elapsed;

        confab_store_reply_free (store_search (CONFAB_STORE (store), params));
        elapsed = g_get_monotonic_time () - start;
        g_array_append_val (kinds[k].times, elapsed);
        g_array_append_val (all, elapsed);
      }
    printf ("\nthe same mix on the store in this process (no network, no client JSON)\n");
    printf ("%-34s %8s %8s %8s %8s\n", "query", "p50 ms", "p95 ms", "p99 ms", "max ms");
    for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
      {
        g_array_sort (kinds[k].times, compare_gint64);
        printf ("%-34s %8.2f %8.2f %8.2f %8.2f\n", kinds[k].name,
                percentile_ms (kinds[k].times, 0.50), percentile_ms (kinds[k].times, 0.95),
                percentile_ms (kinds[k].times, 0.99), percentile_ms (kinds[k].times, 1.0));
        g_array_unref (kinds[k].times);
      }
    g_array_sort (all, compare_gint64);
    printf ("%-34s %8.2f %8.2f %8.2f %8.2f\n", "all", percentile_ms (all, 0.50),
            percentile_ms (all, 0.95), percentile_ms (all, 0.99), percentile_ms (all, 1.0));
    confab_store_close (CONFAB_STORE (store));
  }
  return 0;
}

int
main (int   argc,
      char *argv[])
{
  guint users = 100000;
  guint searches = 4000;
  guint online = 1000;
  gboolean users_set = FALSE;

  confab_test_init (&argc, &argv);
  g_random_set_seed (42);

  for (int i = 2; i + 1 < argc; i += 2)
    {
      if (g_str_equal (argv[i], "--users"))
        users = atoi (argv[i + 1]);
      else if (g_str_equal (argv[i], "--searches"))
        searches = atoi (argv[i + 1]);
      else if (g_str_equal (argv[i], "--online"))
        online = atoi (argv[i + 1]);
      if (g_str_equal (argv[i], "--users"))
        users_set = TRUE;
    }

  if (argc >= 2 && g_str_equal (argv[1], "directory"))
    return bench_directory (users, searches);
  if (argc >= 2 && g_str_equal (argv[1], "broadcast"))
    return bench_broadcast (users_set ? users : 10000, online);

  g_printerr ("usage: %s directory [--users N] [--searches S]\n"
              "       %s broadcast [--users N] [--online M]\n", argv[0], argv[0]);
  return 2;
}
