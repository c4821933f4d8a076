/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-fuzz"

#include "config.h"

#include "fuzz-server-util.h"

#include <sodium.h>

static gboolean
timed_out_cb (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

void
fuzz_server_run_until (const gboolean *done,
                       guint           timeout_ms)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add (timeout_ms, timed_out_cb, &timed_out);

  while (!*done && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (id);
}

ConfabServer *
fuzz_server_get (void)
{
  static ConfabServer *server;

  if (server == NULL)
    {
      g_autoptr(GError) error = NULL;
      ConfabConfig *config = confab_config_new ();

      g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL);
      config->data_dir = g_dir_make_tmp ("confab-fuzz-XXXXXX", &error);
      g_assert_no_error (error);
      config->plain = TRUE;
      config->argon2_opslimit = crypto_pwhash_OPSLIMIT_MIN;
      config->argon2_memlimit = crypto_pwhash_MEMLIMIT_MIN;
      config->messages_per_minute = 0;
      /* The CORS answers too (see the corpus's cors-*.http). */
      config->cors_origins = g_strsplit ("https://web.example.com", ";", -1);
      config->bad_frames_before_close = G_MAXUINT32;
      /* A WebSocket upgraded from memory says nothing more: let it go soon. */
      config->hello_timeout_ms = 100;
      server = confab_server_new (config, &error);
      g_assert_no_error (error);
    }
  return server;
}

static void
stream_gone_cb (gpointer  user_data,
                GObject  *where_the_object_was)
{
  *(gboolean *) user_data = TRUE;
}

GBytes *
fuzz_server_http (const void *request,
                  gsize       length)
{
  ConfabServer *server = fuzz_server_get ();
  g_autoptr(GInputStream) input = g_memory_input_stream_new_from_data (g_memdup2 (request, length),
                                                                       length, g_free);
  g_autoptr(GOutputStream) output = g_memory_output_stream_new_resizable ();
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) local = g_inet_socket_address_new (loopback, 7443);
  g_autoptr(GSocketAddress) remote = g_inet_socket_address_new (loopback, 40000);
  GIOStream *stream = g_simple_io_stream_new (input, output);
  gboolean gone = FALSE;

  /* The server lets the stream go once it has answered and read the end of the input. */
  g_object_weak_ref (G_OBJECT (stream), stream_gone_cb, &gone);
  confab_server_accept_stream (server, stream, local, remote);
  g_object_unref (stream);
  fuzz_server_run_until (&gone, 5000);
  if (!gone)
    g_object_weak_unref (G_OBJECT (stream), stream_gone_cb, &gone);

  return g_bytes_new (g_memory_output_stream_get_data (G_MEMORY_OUTPUT_STREAM (output)),
                      g_memory_output_stream_get_data_size (G_MEMORY_OUTPUT_STREAM (output)));
}
