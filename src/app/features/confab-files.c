/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-files"

#include "config.h"

#include "confab-cache.h"
#include "confab-client.h"
#include "confab-error.h"
#include "confab-files.h"
#include "confab-frame.h"
#include "confab-messaging.h"
#include "confab-session.h"
#include "confab-upload.h"

#include <errno.h>
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <string.h>

#define DEFAULT_CHUNK_SIZE (1024 * 1024)
#define DOWNLOAD_BUFFER    (64 * 1024)
#define THUMBNAIL_SIZE     640
#define RETRY_SECONDS      2
#define SPEED_WINDOW_US    (500 * G_TIME_SPAN_MILLISECOND)
#define ENTRY_KEY          "confab-files-entry"

/* An upload as the cache keeps it, a JSON object: conv, caption, index (its place in the
 * message), width and height (pictures), paused, and the part keys below; a picture's
 * thumbnail is the part "thumb". A part: path (the local file), name, mime, size, location
 * (the tus URL's path, once created), offset (what the server had last time), file_id (once
 * complete). */
typedef struct
{
  ConfabUpload *upload;
  gint64        local_id;
  JsonObject   *json;
  gboolean      needs_head;   /* the server's offset is to be asked for before the next PATCH */
  gboolean      cancelled;
} Entry;

struct _ConfabFiles
{
  ConfabFeature  parent_instance;

  GListStore    *uploads;     /* of ConfabUpload, each with its Entry */
  GPtrArray     *loaded;      /* of JsonObject, read at start, until apply */
  Entry         *active;      /* the upload whose request is on its way */
  GCancellable  *active_cancellable;
  gsize          chunk_size;
  guint          retry_id;
  GHashTable    *downloads;   /* cache key → GPtrArray of GTask waiting for it */
  /* Speed of the active upload: bytes and time at the start of the current window. */
  guint64        window_offset;
  gint64         window_start;
};

G_DEFINE_FINAL_TYPE (ConfabFiles, confab_files, CONFAB_TYPE_FEATURE)

static void kick (ConfabFiles *self);
static void step (ConfabFiles *self, Entry *entry);
static void delete_part (ConfabFiles *self, JsonObject *part);

static gboolean
gone (ConfabFiles *self)
{
  return confab_feature_get_session (CONFAB_FEATURE (self)) == NULL || self->uploads == NULL;
}

static ConfabClient *
get_client (ConfabFiles *self)
{
  return confab_feature_get_client (CONFAB_FEATURE (self));
}

static ConfabCache *
get_cache (ConfabFiles *self)
{
  return confab_feature_get_cache (CONFAB_FEATURE (self));
}

static void
entry_free (Entry *entry)
{
  g_clear_pointer (&entry->json, json_object_unref);
  g_free (entry);
}

static Entry *
entry_of (ConfabUpload *upload)
{
  return g_object_get_data (G_OBJECT (upload), ENTRY_KEY);
}

static Entry *
entry_new (JsonObject *json,
           gint64      local_id)
{
  Entry *entry = g_new0 (Entry, 1);

  entry->json = json_object_ref (json);
  entry->local_id = local_id;
  entry->upload = confab_upload_new (confab_json_get_string (json, "conv"),
                                     confab_json_get_string (json, "client_msg_id"),
                                     confab_json_get_string (json, "name"),
                                     confab_json_get_string (json, "mime"),
                                     (guint64) confab_json_get_int_or (json, "size", 0));
  g_object_set_data_full (G_OBJECT (entry->upload), ENTRY_KEY, entry, (GDestroyNotify) entry_free);
  return entry;
}

/* What the upload row shows: the file's bytes on the server (the thumbnail's go uncounted). */
static void
show_offset (Entry      *entry,
             JsonObject *part,
             guint64     offset)
{
  if (part == entry->json)
    confab_upload_set_offset (entry->upload, offset);
}

static void
persist (ConfabFiles *self,
         Entry       *entry)
{
  if (gone (self) || entry->local_id <= 0 || entry->cancelled)
    return;
  confab_cache_upload_put_async (get_cache (self), entry->local_id, NULL, entry->json, NULL,
                                 NULL, NULL);
}

/* The part whose bytes go next, or NULL when every part is on the server. */
static JsonObject *
current_part (Entry *entry)
{
  JsonObject *thumb = confab_json_get_object (entry->json, "thumb");

  if (thumb != NULL && confab_json_get_string (thumb, "file_id") == NULL)
    return thumb;
  if (confab_json_get_string (entry->json, "file_id") == NULL)
    return entry->json;
  return NULL;
}

static gboolean
entry_paused (Entry *entry)
{
  gboolean paused = FALSE;

  return confab_json_get_bool (entry->json, "paused", &paused) && paused;
}

/* Ending a request ------------------------------------------------------------------------ */

static gboolean
retry_cb (gpointer user_data)
{
  ConfabFiles *self = user_data;

  self->retry_id = 0;
  kick (self);
  return G_SOURCE_REMOVE;
}

/* The active request ended: the next one may start. */
static void
release (ConfabFiles *self,
         Entry       *entry)
{
  if (self->active == entry)
    {
      self->active = NULL;
      g_clear_object (&self->active_cancellable);
    }
}

/* @error (taken) ended the active request of @entry. */
static void
fail (ConfabFiles *self,
      Entry       *entry,
      GError      *error)
{
  g_autoptr(GError) owned = error;

  release (self, entry);
  if (gone (self) || entry->cancelled)
    return;

  entry->needs_head = TRUE;
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      confab_upload_set_state (entry->upload, entry_paused (entry) ? CONFAB_UPLOAD_PAUSED
                                                                   : CONFAB_UPLOAD_QUEUED, NULL);
    }
  else if (error->domain == CONFAB_PROTOCOL_ERROR
           && error->code != CONFAB_PROTOCOL_ERROR_RATE_LIMITED
           && error->code != CONFAB_PROTOCOL_ERROR_UNAVAILABLE
           && error->code != CONFAB_PROTOCOL_ERROR_INTERNAL
           && error->code != CONFAB_PROTOCOL_ERROR_UNAUTHORIZED)
    {
      /* Refused for good (too large, over the quota, a file that went): only cancel is left. */
      g_message ("upload of %s refused: %s", confab_upload_get_name (entry->upload),
                 error->message);
      confab_upload_set_state (entry->upload, CONFAB_UPLOAD_FAILED, error->message);
    }
  else
    {
      /* Out of reach or busy: again in a moment, from the server's offset. */
      g_debug ("upload of %s waits: %s", confab_upload_get_name (entry->upload), error->message);
      confab_upload_set_state (entry->upload, CONFAB_UPLOAD_WAITING, error->message);
      if (self->retry_id == 0)
        self->retry_id = g_timeout_add_seconds (RETRY_SECONDS, retry_cb, self);
      return;
    }
  kick (self);
}

static void
finish_part (ConfabFiles *self,
             Entry       *entry,
             JsonObject  *part)
{
  const char *location = confab_json_get_string (part, "location");
  const char *slash = location != NULL ? strrchr (location, '/') : NULL;

  json_object_set_string_member (part, "file_id", slash != NULL ? slash + 1 : "");
  persist (self, entry);
}

/* HTTP ------------------------------------------------------------------------------------ */

typedef struct
{
  ConfabFiles *self;
  Entry       *entry;
  ConfabUpload *upload;   /* holds the entry */
  JsonObject  *part;
  SoupMessage *msg;
  guint64      base;      /* the offset the PATCH starts at */
} Request;

static void
request_free (Request *request)
{
  g_object_unref (request->self);
  g_object_unref (request->upload);
  json_object_unref (request->part);
  g_clear_object (&request->msg);
  g_free (request);
}

static Request *
request_new (ConfabFiles *self,
             Entry       *entry,
             JsonObject  *part,
             const char  *method,
             const char  *path,
             GError     **error)
{
  Request *request;
  SoupMessage *msg = confab_client_new_http_message (get_client (self), method, path, error);

  if (msg == NULL)
    return NULL;
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Tus-Resumable",
                                "1.0.0");
  request = g_new0 (Request, 1);
  request->self = g_object_ref (self);
  request->entry = entry;
  request->upload = g_object_ref (entry->upload);
  request->part = json_object_ref (part);
  request->msg = msg;
  return request;
}

/* The request ended: TRUE if it got an answer of @expected; otherwise the entry failed. */
static gboolean
request_answered (Request      *request,
                  GObject      *object,
                  GAsyncResult *result,
                  guint         expected,
                  GBytes      **out_body)
{
  ConfabFiles *self = request->self;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = NULL;

  body = soup_session_send_and_read_finish (SOUP_SESSION (object), result, &error);
  if (request->entry->cancelled || gone (self))
    {
      release (self, request->entry);
      return FALSE;
    }
  if (body == NULL)
    {
      fail (self, request->entry,
            confab_client_http_error (get_client (self), request->msg, NULL,
                                      g_steal_pointer (&error)));
      return FALSE;
    }
  if (soup_message_get_status (request->msg) != expected)
    {
      fail (self, request->entry,
            confab_client_http_error (get_client (self), request->msg, body, NULL));
      return FALSE;
    }
  if (out_body != NULL)
    *out_body = g_steal_pointer (&body);
  return TRUE;
}

static void
send_request (ConfabFiles         *self,
              Request             *request,
              GAsyncReadyCallback  callback)
{
  g_clear_object (&self->active_cancellable);
  self->active_cancellable = g_cancellable_new ();
  soup_session_send_and_read_async (confab_client_get_soup_session (get_client (self)),
                                    request->msg, G_PRIORITY_DEFAULT, self->active_cancellable,
                                    callback, request);
}

static gboolean
header_offset (SoupMessage *msg,
               guint64     *offset)
{
  const char *value = soup_message_headers_get_one (soup_message_get_response_headers (msg),
                                                    "Upload-Offset");

  return value != NULL && g_ascii_string_to_unsigned (value, 10, 0, G_MAXINT64, offset, NULL);
}

/* The request is done; the entry goes on with its next step. */
static void
request_done (Request *request)
{
  release (request->self, request->entry);
  step (request->self, request->entry);
  request_free (request);
}

/* The answer says the part's Upload-Offset: kept, and the entry goes on from there. */
static void
request_offset_done (Request *request)
{
  guint64 offset = 0;

  if (!header_offset (request->msg, &offset))
    {
      fail (request->self, request->entry,
            g_error_new_literal (CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_BAD_RESPONSE,
                                 _("The server sent an answer this app does not understand.")));
      request_free (request);
      return;
    }
  json_object_set_int_member (request->part, "offset", (gint64) offset);
  show_offset (request->entry, request->part, offset);
  request->entry->needs_head = FALSE;
  persist (request->self, request->entry);
  request_done (request);
}

/* POST: a new upload on the server. */

static void
created_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  Request *request = user_data;
  const char *location;
  g_autoptr(GUri) uri = NULL;

  if (request->entry->cancelled && !gone (request->self))
    {
      /* Cancelled while the server made it: it goes again. */
      location = soup_message_headers_get_one (
        soup_message_get_response_headers (request->msg), "Location");
      if (location != NULL && location[0] == '/')
        {
          json_object_set_string_member (request->part, "location", location);
          delete_part (request->self, request->part);
        }
    }
  if (!request_answered (request, object, result, SOUP_STATUS_CREATED, NULL))
    {
      request_free (request);
      return;
    }
  location = soup_message_headers_get_one (soup_message_get_response_headers (request->msg),
                                           "Location");
  if (location != NULL && location[0] != '/')
    uri = g_uri_parse (location, G_URI_FLAGS_NONE, NULL);
  if (uri != NULL)
    location = g_uri_get_path (uri);
  if (location == NULL || location[0] != '/')
    {
      fail (request->self, request->entry,
            g_error_new_literal (CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_BAD_RESPONSE,
                                 _("The server sent an answer this app does not understand.")));
      request_free (request);
      return;
    }
  json_object_set_string_member (request->part, "location", location);
  json_object_set_int_member (request->part, "offset", 0);
  request->entry->needs_head = FALSE;
  persist (request->self, request->entry);
  request_done (request);
}

static void
append_metadata (GString    *metadata,
                 const char *key,
                 const char *value)
{
  g_autofree char *encoded = g_base64_encode ((const guchar *) value, strlen (value));

  if (metadata->len > 0)
    g_string_append_c (metadata, ',');
  g_string_append_printf (metadata, "%s %s", key, encoded);
}

static void
create (ConfabFiles *self,
        Entry       *entry,
        JsonObject  *part)
{
  g_autoptr(GString) metadata = g_string_new (NULL);
  g_autofree char *length = NULL;
  GError *error = NULL;
  Request *request = request_new (self, entry, part, SOUP_METHOD_POST, "/v1/files", &error);
  SoupMessageHeaders *headers;

  if (request == NULL)
    {
      fail (self, entry, error);
      return;
    }
  headers = soup_message_get_request_headers (request->msg);
  length = g_strdup_printf ("%" G_GINT64_FORMAT, confab_json_get_int_or (part, "size", 0));
  soup_message_headers_replace (headers, "Upload-Length", length);
  append_metadata (metadata, "filename", confab_json_get_string (part, "name"));
  append_metadata (metadata, "filetype", confab_json_get_string (part, "mime"));
  soup_message_headers_replace (headers, "Upload-Metadata", metadata->str);
  send_request (self, request, created_cb);
}

/* HEAD: how much the server has. */

static void
head_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  Request *request = user_data;

  if (!request->entry->cancelled && !gone (request->self)
      && soup_message_get_status (request->msg) == SOUP_STATUS_NOT_FOUND)
    {
      /* Expired or removed on the server: start again with a new upload. */
      g_autoptr(GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (object), result,
                                                                  NULL);

      json_object_remove_member (request->part, "location");
      json_object_set_int_member (request->part, "offset", 0);
      show_offset (request->entry, request->part, 0);
      request_done (request);
      return;
    }
  if (!request_answered (request, object, result, SOUP_STATUS_OK, NULL))
    {
      request_free (request);
      return;
    }
  request_offset_done (request);
}

static void
head (ConfabFiles *self,
      Entry       *entry,
      JsonObject  *part)
{
  GError *error = NULL;
  Request *request = request_new (self, entry, part, SOUP_METHOD_HEAD,
                                  confab_json_get_string (part, "location"), &error);

  if (request == NULL)
    {
      fail (self, entry, error);
      return;
    }
  send_request (self, request, head_cb);
}

/* PATCH: the next chunk. */

static void
on_wrote_body_data (SoupMessage *msg,
                    guint        chunk_size,
                    Request     *request)
{
  ConfabFiles *self = request->self;
  gint64 now = g_get_monotonic_time ();
  guint64 offset;

  request->base += chunk_size;
  offset = request->base;
  show_offset (request->entry, request->part, offset);
  if (self->window_start == 0 || offset < self->window_offset)
    {
      self->window_start = now;
      self->window_offset = offset;
    }
  else if (now - self->window_start >= SPEED_WINDOW_US)
    {
      confab_upload_set_speed (request->entry->upload,
                               (double) (offset - self->window_offset) * G_USEC_PER_SEC
                               / (double) (now - self->window_start));
      self->window_start = now;
      self->window_offset = offset;
    }
}

static void
patched_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  Request *request = user_data;

  if (!request->entry->cancelled && !gone (request->self)
      && soup_message_get_status (request->msg) == SOUP_STATUS_CONFLICT)
    {
      /* Another offset on the server: ask it, then go on from there. */
      g_autoptr(GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (object), result,
                                                                  NULL);

      request->entry->needs_head = TRUE;
      request_done (request);
      return;
    }
  if (!request_answered (request, object, result, SOUP_STATUS_NO_CONTENT, NULL))
    {
      request_free (request);
      return;
    }
  request_offset_done (request);
}

typedef struct
{
  char    *path;
  guint64  offset;
  gsize    length;
} ChunkRead;

static void
chunk_read_free (ChunkRead *read)
{
  g_free (read->path);
  g_free (read);
}

static void
read_chunk_thread (GTask        *task,
                   gpointer      source,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  ChunkRead *read = task_data;
  g_autoptr(GFile) file = g_file_new_for_path (read->path);
  g_autoptr(GFileInputStream) stream = NULL;
  GError *error = NULL;
  GBytes *bytes;

  stream = g_file_read (file, cancellable, &error);
  if (stream == NULL
      || !g_seekable_seek (G_SEEKABLE (stream), (goffset) read->offset, G_SEEK_SET, cancellable,
                           &error))
    {
      g_task_return_error (task, error);
      return;
    }
  bytes = g_input_stream_read_bytes (G_INPUT_STREAM (stream), read->length, cancellable, &error);
  if (bytes == NULL)
    g_task_return_error (task, error);
  else if (g_bytes_get_size (bytes) == 0)
    {
      g_bytes_unref (bytes);
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT,
                               _("The file changed while it was being sent."));
    }
  else
    g_task_return_pointer (task, bytes, (GDestroyNotify) g_bytes_unref);
}

static void
chunk_read_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  Request *request = user_data;
  ConfabFiles *self = request->self;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autofree char *offset = NULL;
  SoupMessageHeaders *headers;

  bytes = g_task_propagate_pointer (G_TASK (result), &error);
  if (request->entry->cancelled || gone (self))
    {
      release (self, request->entry);
      request_free (request);
      return;
    }
  if (bytes == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          /* The local file is gone or changed: nothing will make this one work. */
          release (self, request->entry);
          confab_upload_set_state (request->entry->upload, CONFAB_UPLOAD_FAILED, error->message);
          kick (self);
        }
      else
        fail (self, request->entry, g_steal_pointer (&error));
      request_free (request);
      return;
    }

  headers = soup_message_get_request_headers (request->msg);
  offset = g_strdup_printf ("%" G_GUINT64_FORMAT, request->base);
  soup_message_headers_replace (headers, "Upload-Offset", offset);
  soup_message_set_request_body_from_bytes (request->msg, "application/offset+octet-stream",
                                            bytes);
  g_signal_connect (request->msg, "wrote-body-data", G_CALLBACK (on_wrote_body_data), request);
  soup_session_send_and_read_async (confab_client_get_soup_session (get_client (self)),
                                    request->msg, G_PRIORITY_DEFAULT, self->active_cancellable,
                                    patched_cb, request);
}

static void
patch (ConfabFiles *self,
       Entry       *entry,
       JsonObject  *part,
       guint64      offset,
       guint64      size)
{
  GError *error = NULL;
  Request *request = request_new (self, entry, part, "PATCH",
                                  confab_json_get_string (part, "location"), &error);
  ChunkRead *read;
  GTask *task;

  if (request == NULL)
    {
      fail (self, entry, error);
      return;
    }
  request->base = offset;
  g_clear_object (&self->active_cancellable);
  self->active_cancellable = g_cancellable_new ();

  read = g_new0 (ChunkRead, 1);
  read->path = g_strdup (confab_json_get_string (part, "path"));
  read->offset = offset;
  read->length = (gsize) MIN (size - offset, (guint64) self->chunk_size);
  task = g_task_new (NULL, self->active_cancellable, chunk_read_cb, request);
  g_task_set_task_data (task, read, (GDestroyNotify) chunk_read_free);
  g_task_run_in_thread (task, read_chunk_thread);
  g_object_unref (task);
}

/* Sending the message --------------------------------------------------------------------- */

typedef struct
{
  ConfabFiles *self;
  char        *client_msg_id;
} Sending;

static void
forget_message (ConfabFiles *self,
                const char  *client_msg_id)
{
  confab_cache_upload_remove_async (get_cache (self), client_msg_id, NULL, NULL, NULL);
  for (guint i = g_list_model_get_n_items (G_LIST_MODEL (self->uploads)); i > 0; i--)
    {
      g_autoptr(ConfabUpload) upload = g_list_model_get_item (G_LIST_MODEL (self->uploads),
                                                              i - 1);

      if (g_strcmp0 (confab_upload_get_client_msg_id (upload), client_msg_id) == 0)
        {
          entry_of (upload)->cancelled = TRUE;
          g_list_store_remove (self->uploads, i - 1);
        }
    }
}

static void
message_queued_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  Sending *sending = user_data;
  ConfabFiles *self = sending->self;
  g_autoptr(ConfabMessage) msg = NULL;
  g_autoptr(GError) error = NULL;

  msg = confab_messaging_send_message_finish (CONFAB_MESSAGING (object), result, &error);
  if (msg == NULL)
    /* Already in the outbox (the app stopped before it forgot the uploads), or the cache
     * is closing: either way these uploads are done with. */
    g_message ("message with files not queued: %s", error->message);
  if (!gone (self))
    forget_message (self, sending->client_msg_id);
  g_object_unref (sending->self);
  g_free (sending->client_msg_id);
  g_free (sending);
  if (!gone (self))
    kick (self);
}

static JsonObject *
attachment_of (Entry *entry)
{
  JsonObject *attachment = json_object_new ();
  JsonObject *thumb = confab_json_get_object (entry->json, "thumb");
  gint64 width = confab_json_get_int_or (entry->json, "width", 0);
  gint64 height = confab_json_get_int_or (entry->json, "height", 0);

  json_object_set_string_member (attachment, "file_id",
                                 confab_json_get_string (entry->json, "file_id"));
  if (thumb != NULL && confab_json_get_string (thumb, "file_id") != NULL)
    json_object_set_string_member (attachment, "thumbnail_file_id",
                                   confab_json_get_string (thumb, "file_id"));
  if (width > 0 && height > 0)
    {
      json_object_set_int_member (attachment, "width", width);
      json_object_set_int_member (attachment, "height", height);
    }
  return attachment;
}

/* Once every file of @entry's message is on the server, the message goes to the outbox.
 * TRUE if it went (or is going). */
static gboolean
maybe_send_message (ConfabFiles *self,
                    Entry       *entry)
{
  const char *client_msg_id = confab_upload_get_client_msg_id (entry->upload);
  g_autoptr(GPtrArray) group = g_ptr_array_new ();
  g_autoptr(JsonArray) attachments = json_array_new ();
  const char *caption = "";
  Sending *sending;

  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (self->uploads)); i++)
    {
      g_autoptr(ConfabUpload) upload = g_list_model_get_item (G_LIST_MODEL (self->uploads), i);
      Entry *other = entry_of (upload);

      if (g_strcmp0 (confab_upload_get_client_msg_id (upload), client_msg_id) != 0)
        continue;
      if (current_part (other) != NULL)
        return FALSE;
      if (confab_upload_get_state (upload) == CONFAB_UPLOAD_SENDING)
        return TRUE;
      g_ptr_array_add (group, other);
    }
  for (guint i = 0; i < group->len; i++)
    {
      Entry *other = g_ptr_array_index (group, i);

      if (confab_json_get_int_or (other->json, "index", 0) == 0
          && confab_json_get_string (other->json, "caption") != NULL)
        caption = confab_json_get_string (other->json, "caption");
      json_array_add_object_element (attachments, attachment_of (other));
      confab_upload_set_state (other->upload, CONFAB_UPLOAD_SENDING, NULL);
    }

  sending = g_new0 (Sending, 1);
  sending->self = g_object_ref (self);
  sending->client_msg_id = g_strdup (client_msg_id);
  confab_messaging_send_attachments_async (
    confab_messaging_from_session (confab_feature_get_session (CONFAB_FEATURE (self))),
    confab_upload_get_conv (entry->upload), caption, "plain", 0, attachments, client_msg_id,
    NULL, message_queued_cb, sending);
  return TRUE;
}

/* The queue ------------------------------------------------------------------------------- */

/* The next request of @entry, which is active. */
static void
step (ConfabFiles *self,
      Entry       *entry)
{
  JsonObject *part;
  guint64 offset, size;

  if (gone (self) || entry->cancelled)
    return;
  if (entry_paused (entry))
    {
      confab_upload_set_state (entry->upload, CONFAB_UPLOAD_PAUSED, NULL);
      kick (self);
      return;
    }
  part = current_part (entry);
  if (part == NULL || !confab_feature_get_started (CONFAB_FEATURE (self)))
    {
      release (self, entry);
      kick (self);
      return;
    }

  self->active = entry;
  confab_upload_set_state (entry->upload, CONFAB_UPLOAD_UPLOADING, NULL);
  offset = (guint64) confab_json_get_int_or (part, "offset", 0);
  size = (guint64) confab_json_get_int_or (part, "size", 0);
  if (confab_json_get_string (part, "location") == NULL)
    create (self, entry, part);
  else if (entry->needs_head)
    head (self, entry, part);
  else if (offset < size)
    patch (self, entry, part, offset, size);
  else
    {
      finish_part (self, entry, part);
      show_offset (entry, part, size);
      release (self, entry);
      step (self, entry);
    }
}

/* Sends the messages whose files are all on the server, then starts the first upload that can
 * go, unless one is on its way. */
static void
kick (ConfabFiles *self)
{
  Entry *next = NULL;

  if (gone (self) || self->active != NULL
      || !confab_feature_get_started (CONFAB_FEATURE (self))
      || confab_client_get_state (get_client (self)) != CONFAB_CLIENT_STATE_CONNECTED)
    return;
  g_clear_handle_id (&self->retry_id, g_source_remove);

  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (self->uploads)); i++)
    {
      g_autoptr(ConfabUpload) upload = g_list_model_get_item (G_LIST_MODEL (self->uploads), i);
      Entry *entry;
      ConfabUploadState state;

      if (upload == NULL)
        break;
      entry = entry_of (upload);
      state = confab_upload_get_state (upload);
      if (entry->cancelled || state == CONFAB_UPLOAD_FAILED || state == CONFAB_UPLOAD_SENDING)
        continue;
      if (current_part (entry) == NULL)
        maybe_send_message (self, entry);
      else if (next == NULL && !entry_paused (entry))
        next = entry;
    }
  if (next != NULL && self->active == NULL && !gone (self))
    step (self, next);
}

/* Queueing files -------------------------------------------------------------------------- */

static char *
thumbnails_dir (void)
{
  return g_build_filename (g_get_user_cache_dir (), "confab", "thumbnails", NULL);
}

/* A picture's thumbnail as a part (NULL if @path is no picture gdk-pixbuf reads); @json gets
 * the picture's width and height. */
static JsonObject *
make_thumbnail (const char *path,
                JsonObject *json)
{
  g_autoptr(GdkPixbuf) loaded = NULL;
  g_autoptr(GdkPixbuf) oriented = NULL;
  g_autoptr(GdkPixbuf) scaled = NULL;
  g_autofree char *dir = thumbnails_dir ();
  g_autofree char *uuid = g_uuid_string_random ();
  g_autofree char *name = g_strconcat (uuid, ".png", NULL);
  g_autofree char *thumb_path = g_build_filename (dir, name, NULL);
  g_autoptr(GError) error = NULL;
  JsonObject *thumb;
  int width, height, long_side;
  GStatBuf st;

  loaded = gdk_pixbuf_new_from_file (path, &error);
  if (loaded == NULL)
    {
      g_debug ("no thumbnail for %s: %s", path, error->message);
      return NULL;
    }
  oriented = gdk_pixbuf_apply_embedded_orientation (loaded);
  width = gdk_pixbuf_get_width (oriented);
  height = gdk_pixbuf_get_height (oriented);
  long_side = MAX (width, height);
  if (long_side > THUMBNAIL_SIZE)
    scaled = gdk_pixbuf_scale_simple (oriented,
                                      MAX (1, (int) ((gint64) width * THUMBNAIL_SIZE / long_side)),
                                      MAX (1, (int) ((gint64) height * THUMBNAIL_SIZE / long_side)),
                                      GDK_INTERP_BILINEAR);
  else
    scaled = g_object_ref (oriented);

  if (g_mkdir_with_parents (dir, 0700) != 0
      || !gdk_pixbuf_save (scaled, thumb_path, "png", &error, NULL)
      || g_stat (thumb_path, &st) != 0)
    {
      g_warning ("thumbnail of %s not written: %s", path,
                 error != NULL ? error->message : g_strerror (errno));
      return NULL;
    }

  json_object_set_int_member (json, "width", width);
  json_object_set_int_member (json, "height", height);
  thumb = json_object_new ();
  json_object_set_string_member (thumb, "path", thumb_path);
  json_object_set_string_member (thumb, "name", "thumbnail.png");
  json_object_set_string_member (thumb, "mime", "image/png");
  json_object_set_int_member (thumb, "size", st.st_size);
  json_object_set_int_member (thumb, "offset", 0);
  return thumb;
}

typedef struct
{
  char       *conv;
  char       *caption;
  char       *client_msg_id;
  GPtrArray  *files;     /* of GFile */
  GPtrArray  *parts;     /* of JsonObject, what the thread made */
  GPtrArray  *uploads;   /* of ConfabUpload, as they are stored */
  guint       pending;
  GError     *error;
} Queueing;

static void
queueing_free (Queueing *queueing)
{
  g_free (queueing->conv);
  g_free (queueing->caption);
  g_free (queueing->client_msg_id);
  g_ptr_array_unref (queueing->files);
  g_clear_pointer (&queueing->parts, g_ptr_array_unref);
  g_clear_pointer (&queueing->uploads, g_ptr_array_unref);
  g_clear_error (&queueing->error);
  g_free (queueing);
}

static void
describe_files_thread (GTask        *task,
                       gpointer      source,
                       gpointer      task_data,
                       GCancellable *cancellable)
{
  Queueing *queueing = task_data;
  g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);

  for (guint i = 0; i < queueing->files->len; i++)
    {
      GFile *file = g_ptr_array_index (queueing->files, i);
      g_autoptr(GFileInfo) info = NULL;
      g_autofree char *path = g_file_get_path (file);
      g_autofree char *mime = NULL;
      GError *error = NULL;
      JsonObject *json;
      JsonObject *thumb;

      info = g_file_query_info (file,
                                G_FILE_ATTRIBUTE_STANDARD_DISPLAY_NAME ","
                                G_FILE_ATTRIBUTE_STANDARD_SIZE ","
                                G_FILE_ATTRIBUTE_STANDARD_TYPE ","
                                G_FILE_ATTRIBUTE_STANDARD_CONTENT_TYPE,
                                G_FILE_QUERY_INFO_NONE, cancellable, &error);
      if (info == NULL)
        {
          g_task_return_error (task, error);
          return;
        }
      if (path == NULL || g_file_info_get_file_type (info) != G_FILE_TYPE_REGULAR)
        {
          g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE,
                                   _("“%s” is not a file that can be sent."),
                                   g_file_info_get_display_name (info));
          return;
        }
      if (g_file_info_get_content_type (info) != NULL)
        mime = g_content_type_get_mime_type (g_file_info_get_content_type (info));

      json = json_object_new ();
      json_object_set_string_member (json, "conv", queueing->conv);
      json_object_set_string_member (json, "caption", i == 0 ? queueing->caption : "");
      json_object_set_int_member (json, "index", i);
      json_object_set_string_member (json, "path", path);
      json_object_set_string_member (json, "name", g_file_info_get_display_name (info));
      json_object_set_string_member (json, "mime",
                                     mime != NULL ? mime : "application/octet-stream");
      json_object_set_int_member (json, "size", g_file_info_get_size (info));
      json_object_set_int_member (json, "offset", 0);
      if (mime != NULL && g_str_has_prefix (mime, "image/")
          && (thumb = make_thumbnail (path, json)) != NULL)
        json_object_set_object_member (json, "thumb", thumb);
      g_ptr_array_add (parts, json);
    }
  g_task_return_pointer (task, g_steal_pointer (&parts), (GDestroyNotify) g_ptr_array_unref);
}

static void
upload_stored_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  GTask *task = user_data;
  ConfabFiles *self = g_task_get_source_object (task);
  Queueing *queueing = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  gint64 local_id;
  guint index = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (task), "confab-index-done"));

  local_id = confab_cache_upload_put_finish (CONFAB_CACHE (object), result, &error);
  if (local_id <= 0 && queueing->error == NULL)
    queueing->error = g_steal_pointer (&error);
  else if (local_id > 0)
    {
      /* The cache answers in order: the n-th answer is the n-th file. */
      JsonObject *json = g_ptr_array_index (queueing->parts, index);
      Entry *entry = entry_new (json, local_id);

      entry->needs_head = FALSE;
      g_ptr_array_add (queueing->uploads, entry->upload);
    }
  g_object_set_data (G_OBJECT (task), "confab-index-done", GUINT_TO_POINTER (index + 1));

  if (--queueing->pending > 0)
    return;
  if (queueing->error != NULL)
    {
      confab_cache_upload_remove_async (CONFAB_CACHE (object), queueing->client_msg_id, NULL,
                                        NULL, NULL);
      g_task_return_error (task, g_steal_pointer (&queueing->error));
    }
  else
    {
      if (!gone (self))
        {
          for (guint i = 0; i < queueing->uploads->len; i++)
            g_list_store_append (self->uploads, g_ptr_array_index (queueing->uploads, i));
          kick (self);
        }
      g_task_return_pointer (task, g_ptr_array_ref (queueing->uploads),
                             (GDestroyNotify) g_ptr_array_unref);
    }
  g_object_unref (task);
}

static void
files_described_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  GTask *task = user_data;
  ConfabFiles *self = CONFAB_FILES (object);
  Queueing *queueing = g_task_get_task_data (task);
  GError *error = NULL;

  queueing->parts = g_task_propagate_pointer (G_TASK (result), &error);
  if (queueing->parts == NULL || gone (self))
    {
      if (error == NULL)
        error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CLOSED, "the session is gone");
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  queueing->pending = queueing->parts->len;
  for (guint i = 0; i < queueing->parts->len; i++)
    {
      JsonObject *json = g_ptr_array_index (queueing->parts, i);

      json_object_set_string_member (json, "client_msg_id", queueing->client_msg_id);
      confab_cache_upload_put_async (get_cache (self), 0, queueing->client_msg_id, json, NULL,
                                     upload_stored_cb, task);
    }
}

void
confab_files_send_async (ConfabFiles         *self,
                         const char          *conv,
                         GFile * const       *files,
                         guint                n_files,
                         const char          *caption,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  GTask *task;
  GTask *describe;
  Queueing *queueing;

  g_return_if_fail (CONFAB_IS_FILES (self));
  g_return_if_fail (conv != NULL && files != NULL && n_files > 0);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, confab_files_send_async);
  queueing = g_new0 (Queueing, 1);
  queueing->conv = g_strdup (conv);
  queueing->caption = g_strdup (caption != NULL ? caption : "");
  queueing->client_msg_id = g_uuid_string_random ();
  queueing->files = g_ptr_array_new_with_free_func (g_object_unref);
  queueing->uploads = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < n_files; i++)
    g_ptr_array_add (queueing->files, g_object_ref (files[i]));
  g_task_set_task_data (task, queueing, (GDestroyNotify) queueing_free);

  /* The thread reads only the Queueing's inputs; the cache calls happen after it. */
  describe = g_task_new (self, cancellable, files_described_cb, task);
  g_task_set_task_data (describe, queueing, NULL);
  g_task_run_in_thread (describe, describe_files_thread);
  g_object_unref (describe);
}

GPtrArray *
confab_files_send_finish (ConfabFiles   *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

GListModel *
confab_files_get_uploads (ConfabFiles *self)
{
  g_return_val_if_fail (CONFAB_IS_FILES (self), NULL);
  return G_LIST_MODEL (self->uploads);
}

void
confab_files_pause (ConfabFiles  *self,
                    ConfabUpload *upload)
{
  Entry *entry;

  g_return_if_fail (CONFAB_IS_FILES (self));
  g_return_if_fail (CONFAB_IS_UPLOAD (upload));

  entry = entry_of (upload);
  if (entry_paused (entry) || confab_upload_get_state (upload) == CONFAB_UPLOAD_SENDING)
    return;
  json_object_set_boolean_member (entry->json, "paused", TRUE);
  persist (self, entry);
  if (self->active == entry)
    g_cancellable_cancel (self->active_cancellable);
  else
    confab_upload_set_state (upload, CONFAB_UPLOAD_PAUSED, NULL);
}

void
confab_files_resume (ConfabFiles  *self,
                     ConfabUpload *upload)
{
  Entry *entry;

  g_return_if_fail (CONFAB_IS_FILES (self));
  g_return_if_fail (CONFAB_IS_UPLOAD (upload));

  entry = entry_of (upload);
  json_object_remove_member (entry->json, "paused");
  persist (self, entry);
  entry->needs_head = TRUE;
  if (confab_upload_get_state (upload) == CONFAB_UPLOAD_PAUSED)
    confab_upload_set_state (upload, CONFAB_UPLOAD_QUEUED, NULL);
  kick (self);
}

static void
deleted_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(SoupMessage) msg = user_data;
  g_autoptr(GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (object), result,
                                                              NULL);

  g_debug ("DELETE %s: %u", g_uri_get_path (soup_message_get_uri (msg)),
           soup_message_get_status (msg));
}

static void
delete_part (ConfabFiles *self,
             JsonObject  *part)
{
  const char *location = confab_json_get_string (part, "location");
  SoupMessage *msg;

  if (location == NULL)
    return;
  msg = confab_client_new_http_message (get_client (self), SOUP_METHOD_DELETE, location, NULL);
  if (msg == NULL)
    return;
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Tus-Resumable",
                                "1.0.0");
  soup_session_send_and_read_async (confab_client_get_soup_session (get_client (self)), msg,
                                    G_PRIORITY_DEFAULT, NULL, deleted_cb, msg);
}

void
confab_files_cancel (ConfabFiles  *self,
                     ConfabUpload *upload)
{
  g_autofree char *client_msg_id = NULL;

  g_return_if_fail (CONFAB_IS_FILES (self));
  g_return_if_fail (CONFAB_IS_UPLOAD (upload));

  if (confab_upload_get_state (upload) == CONFAB_UPLOAD_SENDING)
    return;
  client_msg_id = g_strdup (confab_upload_get_client_msg_id (upload));
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (self->uploads)); i++)
    {
      g_autoptr(ConfabUpload) other = g_list_model_get_item (G_LIST_MODEL (self->uploads), i);
      Entry *entry = entry_of (other);
      JsonObject *thumb = confab_json_get_object (entry->json, "thumb");

      if (g_strcmp0 (confab_upload_get_client_msg_id (other), client_msg_id) != 0)
        continue;
      if (self->active == entry)
        {
          g_cancellable_cancel (self->active_cancellable);
          release (self, entry);
        }
      entry->cancelled = TRUE;
      delete_part (self, entry->json);
      if (thumb != NULL)
        delete_part (self, thumb);
    }
  forget_message (self, client_msg_id);
  kick (self);
}

void
confab_files_set_chunk_size (ConfabFiles *self,
                             gsize        chunk_size)
{
  g_return_if_fail (CONFAB_IS_FILES (self));
  g_return_if_fail (chunk_size > 0);
  self->chunk_size = chunk_size;
}

/* A file of its own ------------------------------------------------------------------------ */

typedef struct
{
  char        *name;
  char        *mime;
  GBytes      *bytes;
  char        *location;
  SoupMessage *msg;
} SingleUpload;

static void
single_upload_free (SingleUpload *single)
{
  g_free (single->name);
  g_free (single->mime);
  g_clear_pointer (&single->bytes, g_bytes_unref);
  g_free (single->location);
  g_clear_object (&single->msg);
  g_free (single);
}

/* The answer to the request of @task, or NULL once the task returned the error. */
static GBytes *
single_answered (GTask        *task,
                 GObject      *object,
                 GAsyncResult *result,
                 guint         expected)
{
  ConfabFiles *self = g_task_get_source_object (task);
  SingleUpload *single = g_task_get_task_data (task);
  GError *error = NULL;
  GBytes *body = soup_session_send_and_read_finish (SOUP_SESSION (object), result, &error);

  if (gone (self))
    {
      g_clear_error (&error);
      g_clear_pointer (&body, g_bytes_unref);
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "the session is gone");
      return NULL;
    }
  if (body == NULL || soup_message_get_status (single->msg) != expected)
    {
      g_task_return_error (task, confab_client_http_error (get_client (self), single->msg, body,
                                                           error));
      g_clear_pointer (&body, g_bytes_unref);
      return NULL;
    }
  return body;
}

static void
single_patched_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SingleUpload *single = g_task_get_task_data (task);
  g_autoptr(GBytes) body = single_answered (task, object, result, SOUP_STATUS_NO_CONTENT);

  if (body != NULL)
    g_task_return_pointer (task, g_strdup (strrchr (single->location, '/') + 1), g_free);
}

static void
single_created_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ConfabFiles *self = g_task_get_source_object (task);
  SingleUpload *single = g_task_get_task_data (task);
  g_autoptr(GBytes) body = single_answered (task, object, result, SOUP_STATUS_CREATED);
  GCancellable *cancellable;
  const char *location;
  GError *error = NULL;

  if (body == NULL)
    return;
  location = soup_message_headers_get_one (soup_message_get_response_headers (single->msg),
                                           "Location");
  if (location == NULL || location[0] != '/' || strrchr (location, '/')[1] == '\0')
    {
      g_task_return_new_error (task, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_BAD_RESPONSE,
                               _("The server sent an answer this app does not understand."));
      return;
    }
  single->location = g_strdup (location);
  g_clear_object (&single->msg);
  single->msg = confab_client_new_http_message (get_client (self), "PATCH", location, &error);
  if (single->msg == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  soup_message_headers_replace (soup_message_get_request_headers (single->msg), "Tus-Resumable",
                                "1.0.0");
  soup_message_headers_replace (soup_message_get_request_headers (single->msg), "Upload-Offset",
                                "0");
  soup_message_set_request_body_from_bytes (single->msg, "application/offset+octet-stream",
                                            single->bytes);
  cancellable = g_task_get_cancellable (task);
  soup_session_send_and_read_async (confab_client_get_soup_session (get_client (self)),
                                    single->msg, G_PRIORITY_DEFAULT, cancellable,
                                    single_patched_cb, g_steal_pointer (&task));
}

static void
single_read_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ConfabFiles *self = g_task_get_source_object (task);
  SingleUpload *single = g_task_get_task_data (task);
  g_autoptr(GString) metadata = g_string_new (NULL);
  g_autofree char *length = NULL;
  GCancellable *cancellable;
  GError *error = NULL;

  single->bytes = g_file_load_bytes_finish (G_FILE (object), result, NULL, &error);
  if (single->bytes == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  if (gone (self))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "the session is gone");
      return;
    }
  single->msg = confab_client_new_http_message (get_client (self), SOUP_METHOD_POST, "/v1/files",
                                                &error);
  if (single->msg == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  length = g_strdup_printf ("%" G_GSIZE_FORMAT, g_bytes_get_size (single->bytes));
  append_metadata (metadata, "filename", single->name);
  append_metadata (metadata, "filetype", single->mime);
  soup_message_headers_replace (soup_message_get_request_headers (single->msg), "Tus-Resumable",
                                "1.0.0");
  soup_message_headers_replace (soup_message_get_request_headers (single->msg), "Upload-Length",
                                length);
  soup_message_headers_replace (soup_message_get_request_headers (single->msg), "Upload-Metadata",
                                metadata->str);
  cancellable = g_task_get_cancellable (task);
  soup_session_send_and_read_async (confab_client_get_soup_session (get_client (self)),
                                    single->msg, G_PRIORITY_DEFAULT, cancellable,
                                    single_created_cb, g_steal_pointer (&task));
}

void
confab_files_upload_file_async (ConfabFiles         *self,
                                GFile               *file,
                                const char          *name,
                                const char          *mime,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  GTask *task;
  SingleUpload *single;

  g_return_if_fail (CONFAB_IS_FILES (self));
  g_return_if_fail (G_IS_FILE (file) && name != NULL && mime != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, confab_files_upload_file_async);
  single = g_new0 (SingleUpload, 1);
  single->name = g_strdup (name);
  single->mime = g_strdup (mime);
  g_task_set_task_data (task, single, (GDestroyNotify) single_upload_free);
  g_file_load_bytes_async (file, cancellable, single_read_cb, task);
}

char *
confab_files_upload_file_finish (ConfabFiles   *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Downloads ------------------------------------------------------------------------------- */

static gboolean
is_hex_sha256 (const char *text)
{
  if (text == NULL || strlen (text) != 64)
    return FALSE;
  for (const char *p = text; *p != '\0'; p++)
    if (!g_ascii_isxdigit (*p) || g_ascii_isupper (*p))
      return FALSE;
  return TRUE;
}

static gboolean
is_file_id (const char *text)
{
  if (text == NULL || text[0] == '\0' || strlen (text) > 64)
    return FALSE;
  for (const char *p = text; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_')
      return FALSE;
  return TRUE;
}

/* The cache's name for a file: its SHA-256, or "id-<file_id>" when that is not known. */
static char *
cache_key (JsonObject *attachment)
{
  const char *sha256 = confab_json_get_string (attachment, "sha256");

  if (is_hex_sha256 (sha256))
    return g_strdup (sha256);
  if (is_file_id (confab_json_get_string (attachment, "file_id")))
    return g_strconcat ("id-", confab_json_get_string (attachment, "file_id"), NULL);
  return NULL;
}

static char *
files_dir (void)
{
  return g_build_filename (g_get_user_cache_dir (), "confab", "files", NULL);
}

GFile *
confab_files_get_cached_file (JsonObject *attachment)
{
  g_autofree char *key = cache_key (attachment);
  g_autofree char *dir = files_dir ();

  g_return_val_if_fail (attachment != NULL, NULL);
  if (key == NULL)
    return NULL;
  return g_file_new_build_filename (dir, key, NULL);
}

typedef struct
{
  ConfabFiles           *self;
  char                  *key;
  char                  *expected;    /* SHA-256 to check, or NULL */
  GFile                 *file;
  GFile                 *part;
  SoupMessage           *msg;
  GInputStream          *input;
  GOutputStream         *output;
  guint64                done;
  guint64                total;
  GFileProgressCallback  progress;
  gpointer               progress_data;
  GCancellable          *cancellable;
  gboolean               retried;
} Download;

static void
download_free (Download *download)
{
  g_object_unref (download->self);
  g_free (download->key);
  g_free (download->expected);
  g_clear_object (&download->file);
  g_clear_object (&download->part);
  g_clear_object (&download->msg);
  g_clear_object (&download->input);
  g_clear_object (&download->output);
  g_clear_object (&download->cancellable);
  g_free (download);
}

static void start_download (Download *download);

/* Ends @download for every caller waiting for it: with the file, or @error (taken). */
static void
download_done (Download *download,
               GError   *error)
{
  g_autoptr(GPtrArray) waiting = NULL;

  g_hash_table_steal_extended (download->self->downloads, download->key, NULL,
                               (gpointer *) &waiting);
  for (guint i = 0; waiting != NULL && i < waiting->len; i++)
    {
      GTask *task = g_ptr_array_index (waiting, i);

      if (error != NULL)
        g_task_return_error (task, g_error_copy (error));
      else
        g_task_return_pointer (task, g_object_ref (download->file), g_object_unref);
    }
  g_clear_error (&error);
  download_free (download);
}

static void
hash_file_thread (GTask        *task,
                  gpointer      source,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  GFile *file = task_data;
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autoptr(GFileInputStream) stream = NULL;
  g_autofree guchar *buffer = g_malloc (DOWNLOAD_BUFFER);
  GError *error = NULL;
  gssize n;

  stream = g_file_read (file, cancellable, &error);
  if (stream == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  while ((n = g_input_stream_read (G_INPUT_STREAM (stream), buffer, DOWNLOAD_BUFFER,
                                   cancellable, &error)) > 0)
    g_checksum_update (checksum, buffer, n);
  if (n < 0)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, g_strdup (g_checksum_get_string (checksum)), g_free);
}

static void
hashed_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  Download *download = user_data;
  GError *error = NULL;
  g_autofree char *sha256 = g_task_propagate_pointer (G_TASK (result), &error);

  if (sha256 == NULL)
    {
      download_done (download, error);
      return;
    }
  if (download->expected != NULL && g_strcmp0 (sha256, download->expected) != 0)
    {
      g_file_delete (download->part, NULL, NULL);
      download_done (download,
                     g_error_new_literal (G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                                          _("The file arrived damaged. Try again.")));
      return;
    }
  if (!g_file_move (download->part, download->file, G_FILE_COPY_OVERWRITE, NULL, NULL, NULL,
                    &error))
    {
      download_done (download, error);
      return;
    }
  download_done (download, NULL);
}

static void
download_verify (Download *download)
{
  GTask *task = g_task_new (NULL, download->cancellable, hashed_cb, download);

  g_task_set_task_data (task, g_object_ref (download->part), g_object_unref);
  g_task_run_in_thread (task, hash_file_thread);
  g_object_unref (task);
}

static void read_more (Download *download);

static void
written_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  Download *download = user_data;
  GError *error = NULL;
  gsize written = 0;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (object), result, &written, &error))
    {
      download_done (download, error);
      return;
    }
  download->done += written;
  if (download->progress != NULL)
    download->progress ((goffset) download->done, (goffset) download->total,
                        download->progress_data);
  read_more (download);
}

static void
closed_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  Download *download = user_data;
  GError *error = NULL;

  if (!g_output_stream_close_finish (G_OUTPUT_STREAM (object), result, &error))
    {
      download_done (download, error);
      return;
    }
  download_verify (download);
}

static void
read_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  Download *download = user_data;
  GError *error = NULL;
  g_autoptr(GBytes) bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (object), result,
                                                              &error);

  if (bytes == NULL)
    {
      /* What arrived stays in the part file: the next download goes on from there. */
      download_done (download, error);
      return;
    }
  if (g_bytes_get_size (bytes) == 0)
    {
      g_output_stream_close_async (download->output, G_PRIORITY_DEFAULT, download->cancellable,
                                   closed_cb, download);
      return;
    }
  g_output_stream_write_all_async (download->output, g_bytes_get_data (bytes, NULL),
                                   g_bytes_get_size (bytes), G_PRIORITY_DEFAULT,
                                   download->cancellable, written_cb, download);
  /* write_all copies nothing: keep the bytes until it is done. */
  g_object_set_data_full (G_OBJECT (download->output), "confab-bytes",
                          g_steal_pointer (&bytes), (GDestroyNotify) g_bytes_unref);
}

static void
read_more (Download *download)
{
  g_input_stream_read_bytes_async (download->input, DOWNLOAD_BUFFER, G_PRIORITY_DEFAULT,
                                   download->cancellable, read_cb, download);
}

static void
sent_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  Download *download = user_data;
  ConfabClient *client = get_client (download->self);
  GError *error = NULL;
  guint status;
  goffset length;

  download->input = soup_session_send_finish (SOUP_SESSION (object), result, &error);
  if (download->input == NULL)
    {
      download_done (download, confab_client_http_error (client, download->msg, NULL, error));
      return;
    }
  status = soup_message_get_status (download->msg);
  if (status == SOUP_STATUS_REQUESTED_RANGE_NOT_SATISFIABLE && !download->retried)
    {
      /* The part is not a beginning of this file: start over. */
      g_file_delete (download->part, NULL, NULL);
      download->retried = TRUE;
      g_clear_object (&download->input);
      start_download (download);
      return;
    }
  if (status != SOUP_STATUS_OK && status != SOUP_STATUS_PARTIAL_CONTENT)
    {
      download_done (download, confab_client_http_error (client, download->msg, NULL, NULL));
      return;
    }
  if (download->expected == NULL)
    {
      /* Without a known SHA-256, the server's ETag (the file's SHA-256) is what to check. */
      const char *etag = soup_message_headers_get_one (
        soup_message_get_response_headers (download->msg), "ETag");
      g_autofree char *unquoted = etag != NULL ? g_strndup (etag + 1, MAX (strlen (etag), 2) - 2)
                                               : NULL;

      if (is_hex_sha256 (unquoted))
        download->expected = g_steal_pointer (&unquoted);
    }

  if (status == SOUP_STATUS_OK)
    {
      download->done = 0;
      download->output = G_OUTPUT_STREAM (g_file_replace (download->part, NULL, FALSE,
                                                          G_FILE_CREATE_PRIVATE,
                                                          download->cancellable, &error));
    }
  else
    download->output = G_OUTPUT_STREAM (g_file_append_to (download->part, G_FILE_CREATE_PRIVATE,
                                                          download->cancellable, &error));
  if (download->output == NULL)
    {
      download_done (download, error);
      return;
    }
  length = soup_message_headers_get_content_length (
    soup_message_get_response_headers (download->msg));
  if (length > 0)
    download->total = download->done + (guint64) length;
  read_more (download);
}

static void
start_download (Download *download)
{
  ConfabFiles *self = download->self;
  g_autoptr(GFileInfo) info = NULL;
  GError *error = NULL;

  g_clear_object (&download->msg);
  download->msg = confab_client_new_http_message (get_client (self), SOUP_METHOD_GET,
                                                  g_object_get_data (G_OBJECT (download->file),
                                                                     "confab-path"),
                                                  &error);
  if (download->msg == NULL)
    {
      download_done (download, error);
      return;
    }
  info = g_file_query_info (download->part, G_FILE_ATTRIBUTE_STANDARD_SIZE,
                            G_FILE_QUERY_INFO_NONE, NULL, NULL);
  download->done = info != NULL ? (guint64) g_file_info_get_size (info) : 0;
  if (download->done > 0)
    {
      SoupMessageHeaders *headers = soup_message_get_request_headers (download->msg);

      soup_message_headers_set_range (headers, (goffset) download->done, -1);
      if (download->expected != NULL)
        {
          g_autofree char *etag = g_strdup_printf ("\"%s\"", download->expected);

          soup_message_headers_replace (headers, "If-Range", etag);
        }
    }
  soup_session_send_async (confab_client_get_soup_session (get_client (self)), download->msg,
                           G_PRIORITY_DEFAULT, download->cancellable, sent_cb, download);
}

void
confab_files_download_async (ConfabFiles           *self,
                             JsonObject            *attachment,
                             GFileProgressCallback  progress,
                             gpointer               progress_data,
                             GCancellable          *cancellable,
                             GAsyncReadyCallback    callback,
                             gpointer               user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *key = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *part_name = NULL;
  const char *file_id;
  GPtrArray *waiting;
  Download *download;

  g_return_if_fail (CONFAB_IS_FILES (self));
  g_return_if_fail (attachment != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, confab_files_download_async);
  key = cache_key (attachment);
  file_id = confab_json_get_string (attachment, "file_id");
  if (key == NULL || !is_file_id (file_id))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               "not a file of this server");
      return;
    }
  dir = files_dir ();
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;

      g_task_return_new_error (task, G_IO_ERROR, g_io_error_from_errno (saved), "%s: %s", dir,
                               g_strerror (saved));
      return;
    }

  waiting = g_hash_table_lookup (self->downloads, key);
  if (waiting != NULL)
    {
      g_ptr_array_add (waiting, g_steal_pointer (&task));
      return;
    }

  download = g_new0 (Download, 1);
  download->self = g_object_ref (self);
  download->key = g_strdup (key);
  download->file = g_file_new_build_filename (dir, key, NULL);
  if (g_file_query_exists (download->file, NULL))
    {
      g_task_return_pointer (task, g_object_ref (download->file), g_object_unref);
      download_free (download);
      return;
    }
  part_name = g_strconcat (key, ".part", NULL);
  download->part = g_file_new_build_filename (dir, part_name, NULL);
  if (is_hex_sha256 (confab_json_get_string (attachment, "sha256")))
    download->expected = g_strdup (confab_json_get_string (attachment, "sha256"));
  download->total = (guint64) MAX (confab_json_get_int_or (attachment, "size", 0), 0);
  download->progress = progress;
  download->progress_data = progress_data;
  download->cancellable = cancellable != NULL ? g_object_ref (cancellable)
                                              : g_cancellable_new ();
  g_object_set_data_full (G_OBJECT (download->file), "confab-path",
                          g_strconcat ("/v1/files/", file_id, NULL), g_free);

  waiting = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (waiting, g_steal_pointer (&task));
  g_hash_table_insert (self->downloads, g_strdup (key), waiting);
  start_download (download);
}

GFile *
confab_files_download_finish (ConfabFiles   *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* The feature ----------------------------------------------------------------------------- */

static void
uploads_listed_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ConfabFiles *self = g_task_get_source_object (task);
  GError *error = NULL;

  self->loaded = confab_cache_upload_list_finish (CONFAB_CACHE (object), result, &error);
  if (self->loaded == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
confab_files_load_async (ConfabFeature       *feature,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  GTask *task = g_task_new (feature, cancellable, callback, user_data);

  g_task_set_source_tag (task, confab_files_load_async);
  confab_cache_upload_list_async (confab_feature_get_cache (feature), cancellable,
                                  uploads_listed_cb, task);
}

static gboolean
confab_files_load_finish (ConfabFeature  *feature,
                          GAsyncResult   *result,
                          GError        **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Uploads left by an earlier run go on from the server's offset. */
static void
confab_files_apply (ConfabFeature *feature)
{
  ConfabFiles *self = CONFAB_FILES (feature);
  g_autoptr(GPtrArray) loaded = g_steal_pointer (&self->loaded);

  for (guint i = 0; loaded != NULL && i < loaded->len; i++)
    {
      JsonObject *json = g_ptr_array_index (loaded, i);
      Entry *entry;

      if (confab_json_get_string (json, "conv") == NULL
          || confab_json_get_string (json, "path") == NULL)
        continue;
      entry = entry_new (json, confab_json_get_int_or (json, "local_id", 0));
      json_object_remove_member (entry->json, "local_id");
      json_object_remove_member (entry->json, "client_msg_id");
      entry->needs_head = TRUE;
      confab_upload_set_offset (entry->upload,
                                (guint64) confab_json_get_int_or (json, "offset", 0));
      if (entry_paused (entry))
        confab_upload_set_state (entry->upload, CONFAB_UPLOAD_PAUSED, NULL);
      g_list_store_append (self->uploads, entry->upload);
      g_object_unref (entry->upload);
    }
}

static void
confab_files_synced (ConfabFeature *feature)
{
  kick (CONFAB_FILES (feature));
}

/* The session stops: the request on its way stops too; the cache keeps where it was. */
static void
on_session_cancelled (GCancellable *cancellable,
                      ConfabFiles  *self)
{
  if (self->active_cancellable != NULL)
    g_cancellable_cancel (self->active_cancellable);
}

static void
confab_files_constructed (GObject *object)
{
  ConfabFiles *self = CONFAB_FILES (object);

  G_OBJECT_CLASS (confab_files_parent_class)->constructed (object);

  if (confab_feature_get_cancellable (CONFAB_FEATURE (self)) != NULL)
    g_signal_connect_object (confab_feature_get_cancellable (CONFAB_FEATURE (self)), "cancelled",
                             G_CALLBACK (on_session_cancelled), self, 0);
}

static void
confab_files_dispose (GObject *object)
{
  ConfabFiles *self = CONFAB_FILES (object);

  if (self->active_cancellable != NULL)
    g_cancellable_cancel (self->active_cancellable);
  g_clear_object (&self->active_cancellable);
  self->active = NULL;
  g_clear_handle_id (&self->retry_id, g_source_remove);
  if (self->uploads != NULL)
    for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (self->uploads)); i++)
      {
        g_autoptr(ConfabUpload) upload = g_list_model_get_item (G_LIST_MODEL (self->uploads), i);

        entry_of (upload)->cancelled = TRUE;
      }
  g_clear_object (&self->uploads);
  g_clear_pointer (&self->loaded, g_ptr_array_unref);

  G_OBJECT_CLASS (confab_files_parent_class)->dispose (object);
}

static void
confab_files_finalize (GObject *object)
{
  ConfabFiles *self = CONFAB_FILES (object);

  g_hash_table_unref (self->downloads);

  G_OBJECT_CLASS (confab_files_parent_class)->finalize (object);
}

static void
confab_files_class_init (ConfabFilesClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  ConfabFeatureClass *feature_class = CONFAB_FEATURE_CLASS (klass);

  object_class->constructed = confab_files_constructed;
  object_class->dispose = confab_files_dispose;
  object_class->finalize = confab_files_finalize;
  feature_class->load_async = confab_files_load_async;
  feature_class->load_finish = confab_files_load_finish;
  feature_class->apply = confab_files_apply;
  feature_class->synced = confab_files_synced;
}

static void
confab_files_init (ConfabFiles *self)
{
  self->uploads = g_list_store_new (CONFAB_TYPE_UPLOAD);
  self->chunk_size = DEFAULT_CHUNK_SIZE;
  self->downloads = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                           (GDestroyNotify) g_ptr_array_unref);
}

ConfabFiles *
confab_files_new (ConfabSession *session)
{
  return g_object_new (CONFAB_TYPE_FILES, "session", session, NULL);
}

ConfabFiles *
confab_files_from_session (ConfabSession *session)
{
  return confab_session_get_feature (session, CONFAB_TYPE_FILES);
}
