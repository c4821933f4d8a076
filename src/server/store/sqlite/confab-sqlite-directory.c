/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-sqlite-directory"

#include "config.h"

#include "confab-sqlite-store-private.h"
#include "confab-validate.h"
#include "confab-word-index.h"

#include <string.h>

/*
 * ConfabDirectoryStore on SQLite, answered from memory. "a" matches tens of thousands of
 * users; reading them all from FTS5 to count them exactly, sorting them by name, or matching
 * "Sales" as a phrase, for every keystroke would cost far more than a search may. So the store
 * thread keeps the directory in memory (Order): every listed account in display order, with
 * its department, title and location folded (confab_text_fold_words), for each folded value
 * the set of accounts that hold it, and the words of their username, display name, email,
 * title and department in a ConfabWordIndex (sorted folded words, each with its accounts; a
 * prefix is a range of words), cut and folded as directory_fts's unicode61 does. A search
 * marks the accounts of each word's prefix range in a bitmap indexed by display rank, ANDs the
 * words' and the filters' bitmaps together and reads the count and the page off it in order:
 * no sort, no phrase query, no FTS5. (directory_fts is still kept by its triggers: an
 * announcement to a department finds its accounts there.)
 *
 * The Order follows the users table through directory_changes, a log that triggers (schema
 * version 6) append to on every change that matters; a search first applies what is new, user
 * by user. Only at the first search, or when the log was pruned past what the Order has seen,
 * is it read whole.
 */

#define DB(store) confab_sqlite_store_get_db (CONFAB_SQLITE_STORE (store))

#define NO_RANK           G_MAXUINT32
#define ORDER_KEY         "confab-directory-order"
/* More changes than this at once: reading everything again is as quick. */
#define MAX_CHANGES       500

typedef enum
{
  FILTER_DEPARTMENT,
  FILTER_TITLE,
  FILTER_LOCATION,
  N_FILTERS
} Filter;

typedef struct
{
  gint64  id;                   /* directory id */
  char   *username;
  char   *key;                  /* sort key */
  char   *values[N_FILTERS];    /* folded; NULL if unset */
  GStrv   words;                /* folded words of the searched fields */
} Entry;

typedef struct
{
  gint64      seen;             /* the last directory_changes seq applied */
  GPtrArray  *entries;          /* of Entry, in display order */
  GHashTable *by_id;            /* directory id → Entry */
  GHashTable *by_username;      /* username → Entry */
  ConfabWordIndex *words;       /* of directory ids */
  GHashTable *filters[N_FILTERS];   /* folded value → GHashTable set of Entry */
  guint32    *rank;             /* by directory id; NO_RANK when not listed */
  gsize       n_rank;
  gboolean    ranks_stale;
  guint64    *bits;
  guint64    *filter_bits;
  gsize       n_words;
} Order;

static void
entry_free (gpointer data)
{
  Entry *entry = data;

  g_free (entry->key);
  g_free (entry->username);
  g_strfreev (entry->words);
  for (guint f = 0; f < N_FILTERS; f++)
    g_free (entry->values[f]);
  g_free (entry);
}

static void
order_free (gpointer data)
{
  Order *order = data;

  for (guint f = 0; f < N_FILTERS; f++)
    g_hash_table_unref (order->filters[f]);
  g_hash_table_unref (order->by_id);
  g_hash_table_unref (order->by_username);
  confab_word_index_free (order->words);
  g_ptr_array_unref (order->entries);
  g_free (order->rank);
  g_free (order->bits);
  g_free (order->filter_bits);
  g_free (order);
}

/* Display names compare without case and diacritics ("Ángel" next to "Angel"), in code point
 * order, then by username; independent of the server's locale. */
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
  const Entry *x = *(Entry * const *) a;
  const Entry *y = *(Entry * const *) b;

  return strcmp (x->key, y->key);
}

#define ENTRY_COLUMNS \
  "d.id, u.username, coalesce (nullif (u.display_name, ''), u.username), u.department," \
  " u.title, u.location, u.display_name, u.email"

static Entry *
entry_from_row (sqlite3_stmt *stmt)
{
  Entry *entry = g_new0 (Entry, 1);

  const char *searched[] = {
    confab_db_column_text (stmt, 1), confab_db_column_text (stmt, 6),
    confab_db_column_text (stmt, 7), confab_db_column_text (stmt, 4),
    confab_db_column_text (stmt, 3),
  };

  entry->id = sqlite3_column_int64 (stmt, 0);
  entry->username = g_strdup (confab_db_column_text (stmt, 1));
  entry->words = confab_word_index_fold (searched, G_N_ELEMENTS (searched));
  entry->key = sort_key (confab_db_column_text (stmt, 2), confab_db_column_text (stmt, 1));
  for (guint f = 0; f < N_FILTERS; f++)
    {
      const char *value = confab_db_column_text (stmt, 3 + f);
      char *folded = value != NULL ? confab_text_fold_words (value) : NULL;

      if (folded != NULL && *folded == '\0')
        g_clear_pointer (&folded, g_free);
      entry->values[f] = folded;
    }
  return entry;
}

static void
index_entry (Order *order,
             Entry *entry)
{
  g_hash_table_insert (order->by_id, &entry->id, entry);
  g_hash_table_insert (order->by_username, entry->username, entry);
  confab_word_index_add (order->words, entry->id, (const char * const *) entry->words);
  for (guint f = 0; f < N_FILTERS; f++)
    {
      GHashTable *set;

      if (entry->values[f] == NULL)
        continue;
      set = g_hash_table_lookup (order->filters[f], entry->values[f]);
      if (set == NULL)
        {
          set = g_hash_table_new (NULL, NULL);
          g_hash_table_insert (order->filters[f], g_strdup (entry->values[f]), set);
        }
      g_hash_table_add (set, entry);
    }
}

static void
unindex_entry (Order *order,
               Entry *entry)
{
  g_hash_table_remove (order->by_id, &entry->id);
  if (g_hash_table_lookup (order->by_username, entry->username) == entry)
    g_hash_table_remove (order->by_username, entry->username);
  confab_word_index_remove (order->words, entry->id, (const char * const *) entry->words);
  for (guint f = 0; f < N_FILTERS; f++)
    {
      GHashTable *set;

      if (entry->values[f] == NULL)
        continue;
      set = g_hash_table_lookup (order->filters[f], entry->values[f]);
      if (set != NULL)
        {
          g_hash_table_remove (set, entry);
          if (g_hash_table_size (set) == 0)
            g_hash_table_remove (order->filters[f], entry->values[f]);
        }
    }
}

static Order *
order_new (void)
{
  Order *order = g_new0 (Order, 1);

  order->entries = g_ptr_array_new_with_free_func (entry_free);
  order->by_id = g_hash_table_new (g_int64_hash, g_int64_equal);
  order->by_username = g_hash_table_new (g_str_hash, g_str_equal);
  order->words = confab_word_index_new ();
  for (guint f = 0; f < N_FILTERS; f++)
    order->filters[f] = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                               (GDestroyNotify) g_hash_table_unref);
  order->ranks_stale = TRUE;
  return order;
}

static Order *
order_build (ConfabDb *db)
{
  Order *order = order_new ();
  sqlite3_stmt *stmt;

  order->seen = confab_db_query_int (db, 0, "SELECT max (seq) FROM directory_changes", "");
  stmt = confab_db_query (db,
                          "SELECT " ENTRY_COLUMNS " FROM directory d JOIN users u USING (username)"
                          " WHERE u.disabled = 0",
                          "");
  while (confab_db_step (db, stmt) == SQLITE_ROW)
    {
      Entry *entry = entry_from_row (stmt);

      g_ptr_array_add (order->entries, entry);
      index_entry (order, entry);
    }
  g_ptr_array_sort (order->entries, entry_compare);
  confab_word_index_sort (order->words);
  g_debug ("directory: %u accounts, %u words, %" G_GSIZE_FORMAT " bytes in the word index",
           order->entries->len, confab_word_index_n_words (order->words),
           confab_word_index_memory (order->words));
  return order;
}

/* Where @entry goes in display order. */
static guint
position_of (Order *order,
             Entry *entry)
{
  guint lo = 0;
  guint hi = order->entries->len;

  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;

      if (strcmp (((Entry *) g_ptr_array_index (order->entries, mid))->key, entry->key) < 0)
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo;
}

static void
update_ranks (Order *order)
{
  gint64 max_id = 0;

  if (!order->ranks_stale)
    return;
  for (guint i = 0; i < order->entries->len; i++)
    max_id = MAX (max_id, ((Entry *) g_ptr_array_index (order->entries, i))->id);
  g_free (order->rank);
  order->n_rank = max_id + 1;
  order->rank = g_new (guint32, order->n_rank);
  memset (order->rank, 0xff, order->n_rank * sizeof (guint32));
  for (guint i = 0; i < order->entries->len; i++)
    order->rank[((Entry *) g_ptr_array_index (order->entries, i))->id] = i;
  order->n_words = order->entries->len / 64 + 1;
  g_free (order->bits);
  g_free (order->filter_bits);
  order->bits = g_new0 (guint64, order->n_words);
  order->filter_bits = g_new0 (guint64, order->n_words);
  order->ranks_stale = FALSE;
}

/* Brings @username's entry to what the database holds now; ranks are brought up to date
 * after the last change. */
static void
apply_change (ConfabDb   *db,
              Order      *order,
              const char *username)
{
  sqlite3_stmt *stmt;
  gint64 id = confab_db_query_int (db, -1, "SELECT id FROM directory WHERE username = ?", "s",
                                   username);
  Entry *old = id >= 0 ? g_hash_table_lookup (order->by_id, &id) : NULL;

  /* Gone from the directory (a deleted account): its entry is still known by name. */
  if (old == NULL)
    old = g_hash_table_lookup (order->by_username, username);

  if (old != NULL)
    {
      guint position = position_of (order, old);

      g_assert (g_ptr_array_index (order->entries, position) == old);
      unindex_entry (order, old);
      g_ptr_array_remove_index (order->entries, position);
    }

  stmt = confab_db_query (db,
                          "SELECT " ENTRY_COLUMNS " FROM directory d JOIN users u USING (username)"
                          " WHERE d.username = ? AND u.disabled = 0",
                          "s", username);
  if (confab_db_step (db, stmt) == SQLITE_ROW)
    {
      Entry *entry = entry_from_row (stmt);

      sqlite3_reset (stmt);
      g_ptr_array_insert (order->entries, position_of (order, entry), entry);
      index_entry (order, entry);
    }
  order->ranks_stale = TRUE;
}

static Order *
order_get (ConfabDirectoryStore *store)
{
  ConfabDb *db = DB (store);
  Order *order = g_object_get_data (G_OBJECT (store), ORDER_KEY);
  gint64 newest = confab_db_query_int (db, 0, "SELECT max (seq) FROM directory_changes", "");
  gint64 oldest = confab_db_query_int (db, 0, "SELECT min (seq) FROM directory_changes", "");

  if (order != NULL && newest > order->seen
      && (newest - order->seen > MAX_CHANGES || oldest > order->seen + 1))
    order = NULL;

  if (order == NULL)
    {
      order = order_build (db);
      g_object_set_data_full (G_OBJECT (store), ORDER_KEY, order, order_free);
    }
  else if (newest > order->seen)
    {
      g_autoptr(GPtrArray) usernames = g_ptr_array_new_with_free_func (g_free);
      sqlite3_stmt *stmt = confab_db_query (db,
                                            "SELECT DISTINCT username FROM directory_changes"
                                            " WHERE seq > ? AND seq <= ?",
                                            "ii", order->seen, newest);

      while (confab_db_step (db, stmt) == SQLITE_ROW)
        g_ptr_array_add (usernames, g_strdup (confab_db_column_text (stmt, 0)));
      for (guint i = 0; i < usernames->len; i++)
        apply_change (db, order, g_ptr_array_index (usernames, i));
      order->seen = newest;
    }
  update_ranks (order);
  return order;
}

static void
set_rank (guint64 *bits,
          guint32  rank)
{
  bits[rank / 64] |= G_GUINT64_CONSTANT (1) << (rank % 64);
}

/* ANDs into order->bits the accounts whose @filter is @value (compared as folded words). */
static void
apply_filter (Order      *order,
              Filter      filter,
              const char *value)
{
  g_autofree char *folded = confab_text_fold_words (value);
  GHashTable *set = *folded != '\0' ? g_hash_table_lookup (order->filters[filter], folded)
                                    : NULL;
  GHashTableIter iter;
  gpointer key;

  memset (order->filter_bits, 0, order->n_words * sizeof (guint64));
  if (set != NULL)
    {
      g_hash_table_iter_init (&iter, set);
      while (g_hash_table_iter_next (&iter, &key, NULL))
        set_rank (order->filter_bits, order->rank[((Entry *) key)->id]);
    }
  for (gsize w = 0; w < order->n_words; w++)
    order->bits[w] &= order->filter_bits[w];
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

static void
mark_id (guint32  id,
         gpointer user_data)
{
  Order *order = user_data;

  /* Every id in the word index has an entry, so a rank. */
  set_rank (order->filter_bits, order->rank[id]);
}

static JsonArray *
ds_search (ConfabDirectoryStore       *store,
           const ConfabDirectoryQuery *query,
           guint                      *total)
{
  ConfabDb *db = DB (store);
  Order *order = order_get (store);
  g_auto(GStrv) words = confab_word_index_query_words (query->text);
  const char *filters[N_FILTERS] = { query->department, query->title, query->location };
  g_autofree gint64 *page = g_new (gint64, MAX (query->limit, 1));
  guint n_entries = order->entries->len;
  guint n_page = 0;
  guint64 skip = query->offset;
  guint matches = 0;

  /* All accounts, then only those with a word starting with each word of the text. */
  memset (order->bits, 0xff, order->n_words * sizeof (guint64));
  if (n_entries % 64 != 0)
    order->bits[n_entries / 64] = (G_GUINT64_CONSTANT (1) << (n_entries % 64)) - 1;
  else
    order->bits[n_entries / 64] = 0;
  for (guint i = 0; words[i] != NULL; i++)
    {
      memset (order->filter_bits, 0, order->n_words * sizeof (guint64));
      confab_word_index_foreach_prefix (order->words, words[i], mark_id, order);
      for (gsize w = 0; w < order->n_words; w++)
        order->bits[w] &= order->filter_bits[w];
    }
  for (guint f = 0; f < N_FILTERS; f++)
    if (filters[f] != NULL)
      apply_filter (order, f, filters[f]);

  for (gsize w = 0; w < order->n_words; w++)
    {
      guint64 bits = order->bits[w];
      guint count = __builtin_popcountll (bits);

      matches += count;
      if (n_page == query->limit)
        continue;
      if (count <= skip)
        {
          skip -= count;
          continue;
        }
      while (bits != 0 && n_page < query->limit)
        {
          guint bit = __builtin_ctzll (bits);
          Entry *entry = g_ptr_array_index (order->entries, w * 64 + bit);

          bits &= bits - 1;
          if (skip > 0)
            {
              skip--;
              continue;
            }
          page[n_page++] = entry->id;
        }
    }
  *total = matches;
  return load_page (db, page, n_page);
}

void
confab_sqlite_directory_store_iface_init (ConfabDirectoryStoreInterface *iface)
{
  iface->search = ds_search;
}
