/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-fuzz-replay"

#include "config.h"

#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The fuzz targets' main () where libFuzzer is not there (a gcc build, the normal suite): feeds
 * the target every seed of its corpus, then a fixed number of inputs made by mutating the seeds
 * with a seeded generator, so a run is cheap and the same every time. A crash, an assertion or
 * a sanitizer report fails the test like it fails libFuzzer.
 *
 * Usage: fuzz-X [-runs=N] [-max_len=N] [-seed=N] CORPUS_DIR_OR_FILE...
 * Other libFuzzer-style options (-name=value) are ignored. */

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

/* Tokens the formats know, spliced in to get past the first checks of a parser. */
static const char * const tokens[] = {
  "\"", "\\", "\\u0000", "\\ud800", "{", "}", "[", "]", ":", ",", "null", "true", "-1", "0",
  "1e999", "4294967296", "18446744073709551616", "\r\n", "\r\n\r\n", ": ", "Content-Length",
  "Transfer-Encoding: chunked", "Upgrade: websocket", "\"type\"", "\"id\"", "@", "http://",
  "%", "\xc3\xa9", "\xf0\x9f\x98\x80", "\xff", "\x00",
};

static guint64 state;

static guint64
next_random (void)
{
  /* xorshift64* */
  state ^= state >> 12;
  state ^= state << 25;
  state ^= state >> 27;
  return state * G_GUINT64_CONSTANT (2685821657736338717);
}

static gsize
below (gsize n)
{
  return n == 0 ? 0 : next_random () % n;
}

static void
add_seed (GPtrArray  *seeds,
          const char *path)
{
  g_autoptr(GError) error = NULL;
  char *contents;
  gsize length;

  if (!g_file_get_contents (path, &contents, &length, &error))
    g_error ("cannot read %s: %s", path, error->message);
  g_ptr_array_add (seeds, g_bytes_new_take (contents, length));
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(char * const *) a, *(char * const *) b);
}

static void
add_path (GPtrArray  *seeds,
          const char *path)
{
  g_autoptr(GDir) dir = NULL;
  g_autoptr(GPtrArray) names = NULL;
  const char *name;

  if (!g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      add_seed (seeds, path);
      return;
    }
  dir = g_dir_open (path, 0, NULL);
  if (dir == NULL)
    g_error ("cannot open %s", path);
  /* In name order, so the mutations are the same on every machine. */
  names = g_ptr_array_new_with_free_func (g_free);
  while ((name = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, g_build_filename (path, name, NULL));
  g_ptr_array_sort (names, compare_names);
  for (guint i = 0; i < names->len; i++)
    if (g_file_test (g_ptr_array_index (names, i), G_FILE_TEST_IS_REGULAR))
      add_seed (seeds, g_ptr_array_index (names, i));
}

static void
insert_bytes (GByteArray   *array,
              gsize         at,
              const guint8 *data,
              gsize         length)
{
  /* A GByteArray is a GArray of bytes. */
  g_array_insert_vals ((GArray *) array, at, data, length);
}

static void
mutate_once (GByteArray *input,
             GPtrArray  *seeds)
{
  gsize at = below (input->len + 1);

  switch (below (8))
    {
    case 0: /* flip a bit */
      if (input->len > 0)
        input->data[below (input->len)] ^= 1u << below (8);
      break;
    case 1: /* any byte */
      if (input->len > 0)
        input->data[below (input->len)] = below (256);
      break;
    case 2: /* insert a byte */
      {
        guint8 byte = below (256);

        insert_bytes (input, at, &byte, 1);
      }
      break;
    case 3: /* remove a run */
      if (input->len > 0)
        {
          at = below (input->len);
          g_byte_array_remove_range (input, at, 1 + below (MIN (input->len - at, 16)));
        }
      break;
    case 4: /* repeat a run */
      if (input->len > 0)
        {
          gsize from = below (input->len);
          gsize n = 1 + below (MIN (input->len - from, 64));
          g_autofree guint8 *copy = g_memdup2 (input->data + from, n);

          insert_bytes (input, at, copy, n);
        }
      break;
    case 5: /* a token */
      {
        const char *token = tokens[below (G_N_ELEMENTS (tokens))];

        insert_bytes (input, at, (const guint8 *) token, MAX (1, strlen (token)));
      }
      break;
    case 6: /* cut the end off */
      g_byte_array_set_size (input, at);
      break;
    default: /* the head of this one, the tail of another seed */
      {
        gsize size;
        const guint8 *other = g_bytes_get_data (g_ptr_array_index (seeds, below (seeds->len)),
                                                &size);
        gsize from = below (size + 1);

        g_byte_array_set_size (input, at);
        g_byte_array_append (input, other + from, size - from);
      }
      break;
    }
}

static void
run_one (const guint8 *data,
         gsize         size)
{
  /* A copy of exactly @size bytes, so reading past the input is caught by the sanitizers; not
   * NULL even when empty, as libFuzzer passes it. */
  guint8 *copy = malloc (size);

  g_assert (copy != NULL);
  if (size > 0)
    memcpy (copy, data, size);
  LLVMFuzzerTestOneInput (copy, size);
  free (copy);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GPtrArray) seeds = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  guint64 runs = 2000;
  gsize max_len = 4096;

  state = 0x9e3779b97f4a7c15;
  for (int i = 1; i < argc; i++)
    {
      if (g_str_has_prefix (argv[i], "-runs="))
        runs = g_ascii_strtoull (argv[i] + 6, NULL, 10);
      else if (g_str_has_prefix (argv[i], "-max_len="))
        max_len = g_ascii_strtoull (argv[i] + 9, NULL, 10);
      else if (g_str_has_prefix (argv[i], "-seed="))
        state = g_ascii_strtoull (argv[i] + 6, NULL, 10) | 1;
      else if (argv[i][0] != '-')
        add_path (seeds, argv[i]);
    }
  if (seeds->len == 0)
    g_error ("no seed inputs given");

  for (guint i = 0; i < seeds->len; i++)
    {
      gsize size;
      const guint8 *data = g_bytes_get_data (g_ptr_array_index (seeds, i), &size);

      run_one (data, size);
    }
  g_print ("replayed %u seeds\n", seeds->len);

  for (guint64 n = 0; n < runs; n++)
    {
      g_autoptr(GByteArray) input = g_byte_array_new ();
      gsize size;
      const guint8 *seed = g_bytes_get_data (g_ptr_array_index (seeds, below (seeds->len)),
                                             &size);
      guint steps = 1 + below (4);

      g_byte_array_append (input, seed, size);
      for (guint s = 0; s < steps; s++)
        mutate_once (input, seeds);
      if (input->len > max_len)
        g_byte_array_set_size (input, max_len);
      run_one (input->data, input->len);
    }
  g_print ("ran %" G_GUINT64_FORMAT " mutated inputs\n", runs);
  return EXIT_SUCCESS;
}
