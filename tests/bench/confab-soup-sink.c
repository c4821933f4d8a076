/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <gio/gio.h>
#include <libsoup/soup.h>
#include <stdio.h>
#include <stdlib.h>

/* The ceiling for tests/bench/files-bench.sh: the plainest libsoup server that takes an upload
 * and serves a download. PUT /up reads the body and drops it (nothing kept, nothing written);
 * GET /down serves FILE from a mapping. It prints "listening on <url>" like confabd.
 *
 * Usage: confab-soup-sink FILE [CERT KEY] */

static GMappedFile *download;

static void
on_got_headers (SoupServerMessage *msg,
                gpointer           user_data)
{
  soup_message_body_set_accumulate (soup_server_message_get_request_body (msg), FALSE);
}

static void
on_request_started (SoupServer        *server,
                    SoupServerMessage *msg,
                    gpointer           user_data)
{
  g_signal_connect (msg, "got-headers", G_CALLBACK (on_got_headers), NULL);
}

static void
handle (SoupServer        *server,
        SoupServerMessage *msg,
        const char        *path,
        GHashTable        *query,
        gpointer           user_data)
{
  if (g_str_equal (path, "/down"))
    {
      g_autoptr(GBytes) bytes = g_mapped_file_get_bytes (download);

      soup_server_message_set_status (msg, 200, NULL);
      soup_message_body_append_bytes (soup_server_message_get_response_body (msg), bytes);
      soup_message_headers_set_content_type (soup_server_message_get_response_headers (msg),
                                             "application/octet-stream", NULL);
      return;
    }
  soup_server_message_set_status (msg, 204, NULL);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SoupServer) server = NULL;
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  GSList *uris;

  if (argc != 2 && argc != 4)
    {
      fprintf (stderr, "usage: %s FILE [CERT KEY]\n", argv[0]);
      return 2;
    }
  download = g_mapped_file_new (argv[1], FALSE, &error);
  if (download == NULL)
    g_error ("%s", error->message);
  if (argc == 4)
    {
      certificate = g_tls_certificate_new_from_files (argv[2], argv[3], &error);
      if (certificate == NULL)
        g_error ("%s", error->message);
    }

  server = soup_server_new ("tls-certificate", certificate, NULL);
  soup_server_add_handler (server, NULL, handle, NULL, NULL);
  g_signal_connect (server, "request-started", G_CALLBACK (on_request_started), NULL);
  if (!soup_server_listen_local (server, 0,
                                 SOUP_SERVER_LISTEN_IPV4_ONLY
                                 | (certificate != NULL ? SOUP_SERVER_LISTEN_HTTPS : 0),
                                 &error))
    g_error ("%s", error->message);
  uris = soup_server_get_uris (server);
  {
    g_autofree char *text = g_uri_to_string (uris->data);

    printf ("listening on %s\n", text);
    fflush (stdout);
  }
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  g_main_loop_run (loop);
  return 0;
}
