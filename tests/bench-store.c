/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Durable message_send throughput of the SQLite store on its own:
 *   bench-store [--messages N] [--in-flight N] [--users N] [--conversations N] [--dir DIR]
 * Messages go to random DMs among a fixed set of conversations, each of which got one message
 * before the clock starts. Every message is committed (synchronous=FULL) before it counts.
 * Besides messages/s it prints the process CPU time per message (both threads), which stays
 * meaningful when other programs compete for the CPU. */
#include "config.h"

#include "confab-accounts.h"
#include "confab-messages.h"
#include "confab-sqlite-store.h"

#include <glib/gstdio.h>
#include <sys/resource.h>

typedef struct
{
  ConfabStore *store;
  GMainLoop   *loop;
  char       **users;
  guint        n_users;
  GPtrArray   *convs;         /* of char *, "dm:a:b" */
  GPtrArray   *senders;       /* of const char *, one of the two users of each conv */
  guint        total;
  guint        submitted;
  guint        completed;
  guint        failed;
  guint        pending_setup;
} Bench;

static int n_messages = 200000;
static int n_in_flight = 1000;
static int n_users = 200;
static int n_convs = 2000;
static char *dir_option = NULL;

static const GOptionEntry entries[] = {
  { "messages", 'n', 0, G_OPTION_ARG_INT, &n_messages, "Messages to send", "N" },
  { "in-flight", 'f', 0, G_OPTION_ARG_INT, &n_in_flight, "Sends in flight at once", "N" },
  { "users", 'u', 0, G_OPTION_ARG_INT, &n_users, "Users", "N" },
  { "conversations", 'c', 0, G_OPTION_ARG_INT, &n_convs, "DM conversations among them", "N" },
  { "dir", 'd', 0, G_OPTION_ARG_FILENAME, &dir_option, "Where to put the database", "DIR" },
  { NULL }
};

static void submit_one (Bench *bench);

static void
send_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  Bench *bench = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(ConfabStoreReply) reply = confab_store_finish (bench->store, result, &error);

  if (reply == NULL)
    {
      if (bench->failed++ == 0)
        g_printerr ("send failed: %s\n", error->message);
    }
  bench->completed++;
  if (bench->submitted < bench->total)
    submit_one (bench);
  else if (bench->completed == bench->total)
    g_main_loop_quit (bench->loop);
  /* The warm-up ends when every conversation has its first message. */
  if (bench->completed == bench->convs->len && bench->total > bench->convs->len)
    g_main_loop_quit (bench->loop);
}

static void
submit_one (Bench *bench)
{
  guint i = bench->submitted++;
  /* First one message in each conversation, then at random. */
  guint c = i < bench->convs->len ? i : (guint) g_random_int_range (0, bench->convs->len);
  char client_msg_id[32];
  char body[96];

  g_snprintf (client_msg_id, sizeof client_msg_id, "bench-%u", i);
  g_snprintf (body, sizeof body, "message number %u about the quarterly report and lunch %u",
              i, i % 977);
  confab_messages_send_async (bench->store, g_ptr_array_index (bench->senders, c),
                              g_ptr_array_index (bench->convs, c), client_msg_id, body,
                              CONFAB_MESSAGE_FORMAT_PLAIN, 0, NULL, NULL, send_cb, bench);
}

static void
setup_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  Bench *bench = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(ConfabStoreReply) reply = confab_store_finish (bench->store, result, &error);

  if (reply == NULL)
    g_error ("setup: %s", error->message);
  if (--bench->pending_setup == 0)
    g_main_loop_quit (bench->loop);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = g_option_context_new ("- store throughput");
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autofree char *wal = NULL;
  g_autofree char *shm = NULL;
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  Bench bench = { 0 };
  struct rusage usage;
  gint64 start, elapsed, cpu;
  guint measured;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    g_error ("%s", error->message);
  n_users = MAX (n_users, 2);
  n_convs = CLAMP (n_convs, 1, n_users * (n_users - 1) / 2);
  n_in_flight = MAX (n_in_flight, 1);

  dir = dir_option != NULL ? g_strdup (dir_option) : g_dir_make_tmp ("confab-bench-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (dir, "bench.db", NULL);
  wal = g_strconcat (path, "-wal", NULL);
  shm = g_strconcat (path, "-shm", NULL);
  g_remove (path);
  g_remove (wal);
  g_remove (shm);

  bench.store = CONFAB_STORE (confab_sqlite_store_new (path, &error));
  if (bench.store == NULL)
    g_error ("%s", error->message);
  bench.loop = g_main_loop_new (NULL, FALSE);
  bench.n_users = n_users;
  bench.users = g_new0 (char *, n_users + 1);
  for (int i = 0; i < n_users; i++)
    {
      bench.users[i] = g_strdup_printf ("user%04d", i);
      bench.pending_setup++;
      confab_accounts_user_create_async (bench.store, bench.users[i], "hash", NULL, NULL, NULL,
                                         setup_cb, &bench);
    }
  g_main_loop_run (bench.loop);

  bench.convs = g_ptr_array_new_with_free_func (g_free);
  bench.senders = g_ptr_array_new ();
  while (bench.convs->len < (guint) n_convs)
    {
      guint a = g_random_int_range (0, n_users);
      guint b = g_random_int_range (0, n_users);
      char *conv;

      if (a == b)
        continue;
      conv = strcmp (bench.users[a], bench.users[b]) < 0
               ? g_strdup_printf ("dm:%s:%s", bench.users[a], bench.users[b])
               : g_strdup_printf ("dm:%s:%s", bench.users[b], bench.users[a]);
      if (!g_hash_table_add (seen, conv))
        {
          g_free (conv);
          continue;
        }
      g_ptr_array_add (bench.convs, conv);
      g_ptr_array_add (bench.senders, bench.users[g_random_boolean () ? a : b]);
    }

  /* Warm-up: the first message of every conversation creates it. */
  bench.total = bench.convs->len + n_messages;
  for (int i = 0; i < n_in_flight && bench.submitted < bench.convs->len; i++)
    submit_one (&bench);
  g_main_loop_run (bench.loop);

  getrusage (RUSAGE_SELF, &usage);
  cpu = -(usage.ru_utime.tv_sec * G_USEC_PER_SEC + usage.ru_utime.tv_usec
          + usage.ru_stime.tv_sec * G_USEC_PER_SEC + usage.ru_stime.tv_usec);
  start = g_get_monotonic_time ();
  measured = bench.completed;
  while (bench.submitted - bench.completed < (guint) n_in_flight
         && bench.submitted < bench.total)
    submit_one (&bench);
  g_main_loop_run (bench.loop);
  elapsed = g_get_monotonic_time () - start;
  measured = bench.completed - measured;
  getrusage (RUSAGE_SELF, &usage);
  cpu += usage.ru_utime.tv_sec * G_USEC_PER_SEC + usage.ru_utime.tv_usec
         + usage.ru_stime.tv_sec * G_USEC_PER_SEC + usage.ru_stime.tv_usec;

  g_print ("%u messages (%u failed), %d in flight, %d users, %u conversations: %.2f s, "
           "%.0f messages/s, %.1f us CPU per message\n",
           measured, bench.failed, n_in_flight, n_users, bench.convs->len, elapsed / 1e6,
           measured / (elapsed / 1e6), (double) cpu / measured);

  confab_store_close (bench.store);
  g_object_unref (bench.store);
  g_main_loop_unref (bench.loop);
  g_strfreev (bench.users);
  g_ptr_array_unref (bench.convs);
  g_ptr_array_unref (bench.senders);
  g_remove (path);
  g_remove (wal);
  g_remove (shm);
  if (dir_option == NULL)
    g_rmdir (dir);
  return bench.failed > 0;
}
