/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-sqlite-directory"

#include "config.h"

#include "confab-sqlite-store-private.h"
#include "confab-sqlite-directory-query.h"

#include <string.h>

/*
 * ConfabDirectoryStore on SQLite. Matching is FTS5's (directory_fts, kept by the triggers of
 * schema version 5): unicode61 folds case and removes diacritics, prefix indexes make short
 * prefixes cheap, and the count of matches is exact.
 *
 * Ordering is the costly part: a query such as "a" matches tens of thousands of users, and
 * sorting them by name for every keystroke would cost far more than matching. So the store
 * thread keeps the order of the whole directory in memory (Order: the rank of each directory
 * id), rebuilt only when directory_state.version says names changed. A search marks the ranks
 * of its matches in a bitmap and reads the page off the bitmap in order: no sort per search.
 */

#define DB(store) confab_sqlite_store_get_db (CONFAB_SQLITE_STORE (store))

#define NO_RANK           G_MAXUINT32
#define ORDER_KEY         "confab-directory-order"

typedef struct
{
  gint64   version;
  guint32 *rank;      /* by directory id; NO_RANK for ids not in the directory */
  gsize    n_rank;
  gint64  *ids;       /* directory ids in display order */
  gsize    n_ids;
  guint64 *bits;      /* scratch bitmap of n_ids bits */
} Order;

typedef struct
{
  gint64  id;
  char   *key;
} Entry;

static void
order_free (gpointer data)
{
  Order *order = data;

  g_free (order->rank);
  g_free (order->ids);
  g_free (order->bits);
  g_free (order);
}

/* Display names compare without case and diacritics ("Ángel" next to "Angel"), then by
 * username; independent of the server's locale. */
static char *
sort_key (const char *display_name,
          const char *username)
{
  g_autofree char *folded = g_utf8_casefold (display_name, -1);
  g_autofree char *decomposed = g_utf8_normalize (folded, -1, G_NORMALIZE_NFKD);
  GString *key = g_string_sized_new (strlen (decomposed) + strlen (username) + 2);

  for (const char *p = decomposed; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (!g_unichar_ismark (c))
        g_string_append_unichar (key, c);
    }
  /* U+0001 sorts below every character a name may hold, so "Ann" comes before "Anna". */
  g_string_append_c (key, '\001');
  g_string_append (key, username);
  return g_string_free (key, FALSE);
}

static int
entry_compare (gconstpointer a,
               gconstpointer b)
{
  const Entry *x = a;
  const Entry *y = b;

  return strcmp (x->key, y->key);
}

static Order *
order_build (ConfabDb *db,
             gint64    version)
{
  g_autoptr(GArray) entries = g_array_new (FALSE, FALSE, sizeof (Entry));
  Order *order = g_new0 (Order, 1);
  sqlite3_stmt *stmt;
  gint64 max_id = 0;

  stmt = confab_db_query (db,
                          "SELECT d.id, u.username, coalesce (nullif (u.display_name, ''),"
                          " u.username) FROM directory d JOIN users u USING (username)"
                          " WHERE u.disabled = 0",
                          "");
  while (confab_db_step (db, stmt) == SQLITE_ROW)
    {
      Entry entry;

      entry.id = sqlite3_column_int64 (stmt, 0);
      entry.key = sort_key (confab_db_column_text (stmt, 2), confab_db_column_text (stmt, 1));
      g_array_append_val (entries, entry);
      max_id = MAX (max_id, entry.id);
    }
  g_array_sort (entries, entry_compare);

  order->version = version;
  order->n_rank = max_id + 1;
  order->rank = g_new (guint32, order->n_rank);
  memset (order->rank, 0xff, order->n_rank * sizeof (guint32));
  order->n_ids = entries->len;
  order->ids = g_new (gint64, MAX (order->n_ids, 1));
  order->bits = g_new0 (guint64, order->n_ids / 64 + 1);
  for (guint i = 0; i < entries->len; i++)
    {
      Entry *entry = &g_array_index (entries, Entry, i);

      order->ids[i] = entry->id;
      order->rank[entry->id] = i;
      g_free (entry->key);
    }
  return order;
}

static Order *
order_get (ConfabDirectoryStore *store)
{
  ConfabDb *db = DB (store);
  Order *order = g_object_get_data (G_OBJECT (store), ORDER_KEY);
  gint64 version = confab_db_query_int (db, 0, "SELECT version FROM directory_state", "");

  if (order == NULL || order->version != version)
    {
      order = order_build (db, version);
      g_object_set_data_full (G_OBJECT (store), ORDER_KEY, order, order_free);
    }
  return order;
}

static JsonArray *
load_page (ConfabDb      *db,
           const gint64  *ids,
           guint          n_ids)
{
  JsonArray *users = json_array_new ();

  for (guint i = 0; i < n_ids; i++)
    {
      sqlite3_stmt *stmt = confab_db_query (db,
                                            "SELECT " CONFAB_SQLITE_USER_COLUMNS_U
                                            " FROM directory d JOIN users u USING (username)"
                                            " WHERE d.id = ?",
                                            "i", ids[i]);

      if (confab_db_step (db, stmt) == SQLITE_ROW)
        {
          json_array_add_object_element (users, confab_sqlite_user_from_row (stmt, 0));
          sqlite3_reset (stmt);
        }
    }
  return users;
}

static JsonArray *
ds_search (ConfabDirectoryStore       *store,
           const ConfabDirectoryQuery *query,
           guint                      *total)
{
  ConfabDb *db = DB (store);
  Order *order = order_get (store);
  g_autofree char *expr = confab_sqlite_directory_match (query);
  g_autofree gint64 *page = g_new (gint64, MAX (query->limit, 1));
  gsize n_words = order->n_ids / 64 + 1;
  guint n_page = 0;
  guint64 skip = query->offset;
  guint matches = 0;

  /* Everyone (no words, no filters): the order itself is the answer. */
  if (expr == NULL)
    {
      *total = order->n_ids;
      for (guint64 r = query->offset; r < order->n_ids && n_page < query->limit; r++)
        page[n_page++] = order->ids[r];
      return load_page (db, page, n_page);
    }

  memset (order->bits, 0, n_words * sizeof (guint64));
  {
    sqlite3_stmt *stmt = confab_db_query (db,
                                          "SELECT rowid FROM directory_fts"
                                          " WHERE directory_fts MATCH ?",
                                          "s", expr);

    while (confab_db_step (db, stmt) == SQLITE_ROW)
      {
        gint64 id = sqlite3_column_int64 (stmt, 0);
        guint32 rank = id >= 0 && (guint64) id < order->n_rank ? order->rank[id] : NO_RANK;

        if (rank == NO_RANK)
          continue;
        order->bits[rank / 64] |= G_GUINT64_CONSTANT (1) << (rank % 64);
        matches++;
      }
  }
  *total = matches;

  for (gsize w = 0; w < n_words && n_page < query->limit; w++)
    {
      guint64 bits = order->bits[w];
      guint count = __builtin_popcountll (bits);

      if (count <= skip)
        {
          skip -= count;
          continue;
        }
      while (bits != 0 && n_page < query->limit)
        {
          guint bit = __builtin_ctzll (bits);

          bits &= bits - 1;
          if (skip > 0)
            {
              skip--;
              continue;
            }
          page[n_page++] = order->ids[w * 64 + bit];
        }
    }
  return load_page (db, page, n_page);
}

void
confab_sqlite_directory_store_iface_init (ConfabDirectoryStoreInterface *iface)
{
  iface->search = ds_search;
}
