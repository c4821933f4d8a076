/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-test"

#include "config.h"

#include "confab-test-lines.h"
#include "confab-test-util.h"

#include <string.h>

static void read_next (ConfabTestLines *lines);

static void
line_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  ConfabTestLines *lines = user_data;
  char *line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (object), result,
                                                          NULL, NULL);

  if (line == NULL)
    {
      lines->eof = TRUE;
      return;
    }
  if (g_getenv ("CONFAB_TEST_VERBOSE") != NULL)
    g_printerr ("# %s: %s\n", lines->name, line);
  g_queue_push_tail (&lines->queue, line);
  read_next (lines);
}

static void
read_next (ConfabTestLines *lines)
{
  g_data_input_stream_read_line_async (lines->stream, G_PRIORITY_DEFAULT, NULL, line_cb, lines);
}

void
confab_test_lines_init (ConfabTestLines *lines,
                        const char      *name,
                        GInputStream    *stream)
{
  lines->name = name;
  lines->stream = g_data_input_stream_new (stream);
  g_queue_init (&lines->queue);
  lines->eof = FALSE;
  read_next (lines);
}

typedef struct
{
  ConfabTestLines *lines;
  const char      *prefix;
  char            *found;
} LineWait;

static gboolean
line_arrived (gpointer user_data)
{
  LineWait *wait = user_data;

  for (GList *l = wait->lines->queue.head; l != NULL; l = l->next)
    {
      if (g_str_has_prefix (l->data, wait->prefix))
        {
          wait->found = l->data;
          g_queue_delete_link (&wait->lines->queue, l);
          return TRUE;
        }
      if (g_str_has_prefix (l->data, "error "))
        g_error ("%s: %s", wait->lines->name, (char *) l->data);
    }

  return wait->lines->eof;
}

/* The first line starting with @prefix (taken out of the queue); fails without one within
 * @timeout_ms. Returns the words after the prefix. */
GStrv
confab_test_lines_wait (ConfabTestLines *lines,
                        const char      *prefix,
                        guint            timeout_ms)
{
  LineWait wait = { lines, prefix, NULL };
  g_autofree char *line = NULL;

  confab_test_wait_until (line_arrived, &wait, timeout_ms);
  if (wait.found == NULL)
    g_error ("%s: no “%s” within %u ms", lines->name, prefix, timeout_ms);
  line = wait.found;
  return g_strsplit (line + strlen (prefix), " ", -1);
}

/* Whether a line starting with @prefix has come and not been taken. */
gboolean
confab_test_lines_has (ConfabTestLines *lines,
                       const char      *prefix)
{
  for (GList *l = lines->queue.head; l != NULL; l = l->next)
    if (g_str_has_prefix (l->data, prefix))
      return TRUE;
  return FALSE;
}

void
confab_test_lines_clear (ConfabTestLines *lines)
{
  /* The pending read ends with the stream. */
  while (!lines->eof)
    g_main_context_iteration (NULL, TRUE);

  g_queue_clear_full (&lines->queue, g_free);
  g_clear_object (&lines->stream);
}
