/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-test-child"

#include "config.h"

#include "confab-test-child.h"

#include "confab-call-private.h"

#include <gio/gunixinputstream.h>

#include <stdio.h>
#include <sys/resource.h>

typedef struct
{
  GMainLoop                  *loop;
  GDataInputStream           *input;
  GCancellable               *cancellable;
  ConfabTestChildCommandFunc  handle_command;
  gpointer                    user_data;
} Reader;

typedef struct
{
  ConfabCall *call;
  guint      *source_id;
} FirstFrameWatch;

static void
read_line_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  Reader *reader = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  g_auto(GStrv) words = NULL;

  line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (object), result, NULL,
                                                    &error);
  /* The read still pending when confab_test_child_run() returned: the reader is gone. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (line == NULL)
    {
      /* The parent went away: so does this process. */
      g_main_loop_quit (reader->loop);
      return;
    }

  words = g_strsplit (line, " ", 3);
  if (words[0] != NULL)
    reader->handle_command (words, reader->user_data);
  g_data_input_stream_read_line_async (reader->input, G_PRIORITY_DEFAULT, reader->cancellable,
                                       read_line_cb, reader);
}

static gboolean
check_first_frame (gpointer user_data)
{
  FirstFrameWatch *watch = user_data;
  gint64 when = confab_call_get_first_video_frame_time (watch->call);

  if (when == 0)
    return G_SOURCE_CONTINUE;

  confab_test_child_reply ("first-frame %" G_GINT64_FORMAT, when);
  *watch->source_id = 0;
  return G_SOURCE_REMOVE;
}

static void
first_frame_watch_free (gpointer data)
{
  FirstFrameWatch *watch = data;

  g_object_unref (watch->call);
  g_free (watch);
}

void
confab_test_child_reply (const char *format,
                         ...)
{
  va_list args;

  va_start (args, format);
  vprintf (format, args);
  va_end (args);
  putchar ('\n');
  fflush (stdout);
}

gint64
confab_test_child_cpu_time_us (void)
{
  struct rusage usage;

  getrusage (RUSAGE_SELF, &usage);
  return (gint64) (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * G_USEC_PER_SEC +
         usage.ru_utime.tv_usec + usage.ru_stime.tv_usec;
}

void
confab_test_child_watch_first_frame (ConfabCall *call,
                                     guint      *source_id)
{
  FirstFrameWatch *watch = g_new0 (FirstFrameWatch, 1);

  watch->call = g_object_ref (call);
  watch->source_id = source_id;
  *source_id = g_timeout_add_full (G_PRIORITY_DEFAULT, 2, check_first_frame, watch,
                                   first_frame_watch_free);
}

void
confab_test_child_run (GMainLoop                  *loop,
                       ConfabTestChildCommandFunc  handle_command,
                       gpointer                    user_data)
{
  g_autoptr(GInputStream) stdin_stream = g_unix_input_stream_new (0, FALSE);
  Reader reader = { loop, NULL, g_cancellable_new (), handle_command, user_data };

  reader.input = g_data_input_stream_new (stdin_stream);
  g_data_input_stream_read_line_async (reader.input, G_PRIORITY_DEFAULT, reader.cancellable,
                                       read_line_cb, &reader);
  g_main_loop_run (loop);

  g_cancellable_cancel (reader.cancellable);
  g_clear_object (&reader.cancellable);
  g_clear_object (&reader.input);
}
