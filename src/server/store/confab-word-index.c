/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-word-index"

#include "config.h"

#include "confab-word-index.h"

#include <string.h>

/* Called with each word of a text; returns FALSE to stop. */
typedef gboolean (*WordFunc) (const char *word, gpointer user_data);

typedef struct
{
  char    *text;
  guint32 *ids;
  guint    n_ids;
  guint    size;
} Word;

struct _ConfabWordIndex
{
  GHashTable *by_text;          /* folded word → Word */
  GPtrArray  *sorted;           /* of Word, by strcmp of their text */
  gboolean    sorted_stale;     /* words were added in bulk: sort before the next lookup */
};

static void
word_free (gpointer data)
{
  Word *word = data;

  g_free (word->text);
  g_free (word->ids);
  g_free (word);
}

ConfabWordIndex *
confab_word_index_new (void)
{
  ConfabWordIndex *index = g_new0 (ConfabWordIndex, 1);

  index->by_text = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, word_free);
  index->sorted = g_ptr_array_new ();
  /* Empty, so sorted; but the first words usually come in bulk, so they are sorted once. */
  index->sorted_stale = TRUE;
  return index;
}

void
confab_word_index_free (ConfabWordIndex *index)
{
  if (index == NULL)
    return;
  g_ptr_array_unref (index->sorted);
  g_hash_table_unref (index->by_text);
  g_free (index);
}

/* Characters of words as unicode61 has them by default: letters, numbers, private use. */
static gboolean
is_word_char (gunichar c)
{
  switch (g_unichar_type (c))
    {
    case G_UNICODE_LOWERCASE_LETTER:
    case G_UNICODE_UPPERCASE_LETTER:
    case G_UNICODE_TITLECASE_LETTER:
    case G_UNICODE_MODIFIER_LETTER:
    case G_UNICODE_OTHER_LETTER:
    case G_UNICODE_DECIMAL_NUMBER:
    case G_UNICODE_LETTER_NUMBER:
    case G_UNICODE_OTHER_NUMBER:
    case G_UNICODE_PRIVATE_USE:
      return TRUE;
    default:
      return FALSE;
    }
}

/* The combining diacritics that remove_diacritics drops inside a word. */
static gboolean
is_diacritic (gunichar c)
{
  return c >= 0x300 && c <= 0x331;
}

/* @c lower-cased; a Latin letter without its diacritics. */
static gunichar
fold_char (gunichar c)
{
  gunichar lower = g_unichar_tolower (c);
  gunichar parts[G_UNICHAR_MAX_DECOMPOSITION_LENGTH];
  gsize n;

  if (lower < 0x80)
    return lower;
  n = g_unichar_fully_decompose (lower, FALSE, parts, G_N_ELEMENTS (parts));
  if (n < 2 || parts[0] >= 0x80 || !g_ascii_isalpha (parts[0]))
    return lower;
  for (gsize i = 1; i < n; i++)
    if (!g_unichar_ismark (parts[i]))
      return lower;
  return parts[0];
}

/* Calls @func with each folded word of @text in order; stops when it returns FALSE. */
static void
each_word (const char *text,
           WordFunc    func,
           gpointer    user_data)
{
  g_autoptr(GString) word = g_string_new (NULL);
  const char *p = text;

  for (;;)
    {
      gunichar c = *p != '\0' ? g_utf8_get_char_validated (p, -1) : 0;

      if (c == (gunichar) -1 || c == (gunichar) -2)
        c = ' ';    /* invalid UTF-8 ends a word; one byte is skipped */
      if (c != 0 && is_word_char (c))
        g_string_append_unichar (word, fold_char (c));
      else if (c != 0 && is_diacritic (c))
        ;
      else
        {
          if (word->len > 0 && !func (word->str, user_data))
            return;
          g_string_truncate (word, 0);
          if (c == 0)
            return;
        }
      p = c == ' ' && (guchar) *p >= 0x80 ? p + 1 : g_utf8_next_char (p);
    }
}

static gboolean
add_distinct (const char *word,
              gpointer    user_data)
{
  GHashTable *seen = user_data;

  if (!g_hash_table_contains (seen, word))
    g_hash_table_add (seen, g_strdup (word));
  return TRUE;
}

GStrv
confab_word_index_fold (const char * const *texts,
                        guint               n_texts)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  GHashTableIter iter;
  gpointer key;

  for (guint i = 0; i < n_texts; i++)
    if (texts[i] != NULL)
      each_word (texts[i], add_distinct, seen);
  g_hash_table_iter_init (&iter, seen);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_strv_builder_add (builder, key);
  return g_strv_builder_end (builder);
}

typedef struct
{
  GStrvBuilder *builder;
  guint         n;
} QueryWords;

static gboolean
add_query_word (const char *word,
                gpointer    user_data)
{
  QueryWords *words = user_data;

  g_strv_builder_add (words->builder, word);
  return ++words->n < CONFAB_WORD_INDEX_MAX_QUERY_WORDS;
}

GStrv
confab_word_index_query_words (const char *text)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  QueryWords words = { builder, 0 };

  if (text != NULL)
    each_word (text, add_query_word, &words);
  return g_strv_builder_end (builder);
}

static int
word_compare (gconstpointer a,
              gconstpointer b)
{
  return strcmp ((*(Word * const *) a)->text, (*(Word * const *) b)->text);
}

/* The first position in the sorted words whose text is not below @text. */
static guint
lower_bound (ConfabWordIndex *index,
             const char      *text)
{
  guint lo = 0;
  guint hi = index->sorted->len;

  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;

      if (strcmp (((Word *) g_ptr_array_index (index->sorted, mid))->text, text) < 0)
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo;
}

void
confab_word_index_sort (ConfabWordIndex *index)
{
  GHashTableIter iter;
  gpointer value;

  if (!index->sorted_stale)
    return;
  g_ptr_array_set_size (index->sorted, 0);
  g_hash_table_iter_init (&iter, index->by_text);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Word *word = value;

      /* Added in bulk: no room to spare until the next change. */
      word->size = word->n_ids;
      word->ids = g_renew (guint32, word->ids, word->size);
      g_ptr_array_add (index->sorted, word);
    }
  g_ptr_array_sort (index->sorted, word_compare);
  index->sorted_stale = FALSE;
}

void
confab_word_index_add (ConfabWordIndex    *index,
                       guint32             id,
                       const char * const *words)
{
  for (guint i = 0; words[i] != NULL; i++)
    {
      Word *word = g_hash_table_lookup (index->by_text, words[i]);

      if (word == NULL)
        {
          word = g_new0 (Word, 1);
          word->text = g_strdup (words[i]);
          g_hash_table_insert (index->by_text, word->text, word);
          if (!index->sorted_stale)
            g_ptr_array_insert (index->sorted, lower_bound (index, word->text), word);
        }
      if (word->n_ids == word->size)
        {
          word->size = MAX (2, word->size * 2);
          word->ids = g_renew (guint32, word->ids, word->size);
        }
      word->ids[word->n_ids++] = id;
    }
}

void
confab_word_index_remove (ConfabWordIndex    *index,
                          guint32             id,
                          const char * const *words)
{
  for (guint i = 0; words[i] != NULL; i++)
    {
      Word *word = g_hash_table_lookup (index->by_text, words[i]);

      if (word == NULL)
        continue;
      for (guint j = 0; j < word->n_ids; j++)
        if (word->ids[j] == id)
          {
            word->ids[j] = word->ids[--word->n_ids];
            break;
          }
      if (word->n_ids > 0)
        continue;
      if (!index->sorted_stale)
        {
          guint position = lower_bound (index, word->text);

          g_assert (g_ptr_array_index (index->sorted, position) == word);
          g_ptr_array_remove_index (index->sorted, position);
        }
      g_hash_table_remove (index->by_text, words[i]);
    }
}

void
confab_word_index_foreach_prefix (ConfabWordIndex     *index,
                                  const char          *prefix,
                                  ConfabWordIndexFunc  func,
                                  gpointer             user_data)
{
  gsize length = strlen (prefix);

  confab_word_index_sort (index);
  for (guint i = lower_bound (index, prefix); i < index->sorted->len; i++)
    {
      Word *word = g_ptr_array_index (index->sorted, i);

      if (strncmp (word->text, prefix, length) != 0)
        break;
      for (guint j = 0; j < word->n_ids; j++)
        func (word->ids[j], user_data);
    }
}

guint
confab_word_index_n_words (ConfabWordIndex *index)
{
  return g_hash_table_size (index->by_text);
}

gsize
confab_word_index_memory (ConfabWordIndex *index)
{
  GHashTableIter iter;
  gpointer value;
  gsize bytes = sizeof (ConfabWordIndex);
  guint n = g_hash_table_size (index->by_text);

  g_hash_table_iter_init (&iter, index->by_text);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Word *word = value;

      bytes += sizeof (Word) + strlen (word->text) + 1 + word->size * sizeof (guint32);
    }
  /* GHashTable: a key, a value and a hash per bucket, with at most 2 buckets per entry;
   * the sorted array: a pointer per word. */
  bytes += (gsize) n * 2 * (2 * sizeof (gpointer) + sizeof (guint));
  bytes += (gsize) index->sorted->len * sizeof (gpointer);
  return bytes;
}
