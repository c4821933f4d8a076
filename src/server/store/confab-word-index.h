/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * ConfabWordIndex: the words of a set of records (ids) in memory, folded, sorted, each with
 * the ids that hold it. A prefix is a range of the sorted words, so "a" costs one binary
 * search and a walk over the ids of the words it covers, however many there are.
 *
 * Words are cut and folded as SQLite's unicode61 tokenizer with remove_diacritics 2 does:
 * runs of letters, digits and private-use characters, lower case, Latin letters without
 * their diacritics ("Ángel" gives "angel"); other scripts keep their letters as they are
 * ("Йосип" gives "йосип", not "иосип").
 */

typedef struct _ConfabWordIndex ConfabWordIndex;

typedef void (*ConfabWordIndexFunc) (guint32  id,
                                     gpointer user_data);

#define CONFAB_WORD_INDEX_MAX_QUERY_WORDS 16

ConfabWordIndex *confab_word_index_new          (void);
void             confab_word_index_free         (ConfabWordIndex     *index);

/* The distinct folded words of the texts in @texts (@n_texts of them, NULL ones skipped), in
 * no particular order. */
GStrv            confab_word_index_fold         (const char * const  *texts,
                                                 guint                n_texts);

/* The folded words of what a user typed, in order, at most
 * CONFAB_WORD_INDEX_MAX_QUERY_WORDS of them; an empty vector when there are none. */
GStrv            confab_word_index_query_words  (const char          *text);

/* @words as confab_word_index_fold() gives them; a record is added once and removed with the
 * same words it was added with. */
void             confab_word_index_add          (ConfabWordIndex     *index,
                                                 guint32              id,
                                                 const char * const  *words);
void             confab_word_index_remove       (ConfabWordIndex     *index,
                                                 guint32              id,
                                                 const char * const  *words);

/* Sorts the words added since the index was made, as the first lookup would; until then they
 * are only hashed, so that filling an index in bulk costs no insertions into the order. */
void             confab_word_index_sort         (ConfabWordIndex     *index);

/* Calls @func for every id that holds a word starting with @prefix (folded), once for each
 * such word: an id may come more than once. */
void             confab_word_index_foreach_prefix (ConfabWordIndex     *index,
                                                   const char          *prefix,
                                                   ConfabWordIndexFunc  func,
                                                   gpointer             user_data);

guint            confab_word_index_n_words      (ConfabWordIndex     *index);

/* The bytes the index holds (its allocations as asked of malloc, not malloc's own overhead). */
gsize            confab_word_index_memory       (ConfabWordIndex     *index);

G_END_DECLS
