/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-files"

#include "config.h"

#include "confab-files.h"
#include "confab-file-sink.h"
#include "confab-file-store.h"
#include "confab-frame.h"
#include "confab-limits.h"
#include "confab-messages.h"
#include "confab-profiles.h"
#include "confab-proto-files.h"
#include "confab-server-module.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <sodium.h>
#include <string.h>

/* An upload in progress is synced, and its offset recorded, at least this often: a server
 * killed in the middle of a large PATCH loses at most this much of it. */
#define CHECKPOINT_BYTES   (32 * 1024 * 1024)
#define READ_BLOCK         (256 * 1024)
#define EXPIRED_PER_SWEEP  100
#define SHA256_EMPTY       "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

#define FS(store)    CONFAB_FILE_STORE_GET_IFACE (store)
#define FSELF(store) ((ConfabFileStore *) (store))

typedef struct _Upload Upload;
typedef struct _Patch Patch;

typedef struct
{
  ConfabServer *server;
  char         *dir;       /* <data-dir>/files */
  GHashTable   *uploads;   /* file_id → Upload: unfinished uploads written to since start */
  guint         sweep_id;
  guint         orphans_id;
} Files;

/* What the main thread knows of an unfinished upload. At most one PATCH writes to it; any
 * other request on it waits until that one's bytes are synced and recorded ("idle"). */
struct _Upload
{
  Files          *files;
  char           *file_id;
  char           *path;
  gint64          size;
  gint64          offset;     /* synced and recorded */
  gnutls_hash_hd_t hash;      /* SHA-256 of [0, offset); NULL: to be read from the file */
  ConfabFileSink *sink;       /* busy while not NULL, and while committing */
  gboolean        committing;
  Patch          *patch;      /* the request feeding sink, until it ends or is superseded */
  GPtrArray      *waiters;    /* Waiter */
};

typedef void (*IdleFunc) (Upload *upload, gpointer data);

typedef struct
{
  IdleFunc func;
  gpointer data;
} Waiter;

/* One request, answered later (its message is held paused until then). */
typedef struct
{
  Files             *files;
  SoupServerMessage *msg;
  char              *username;
  char              *file_id;
  ConfabFileRecord  *record;
  GHashTable        *metadata;
  gint64             length;
  gint64             offset;
  gboolean           paused;
  gboolean           gone;    /* the connection ended: answer nothing */
} Call;

struct _Patch
{
  Call     *call;
  Upload   *upload;
  gint64    received;      /* body bytes taken */
  gboolean  too_large;     /* the body went past Upload-Length */
  gboolean  superseded;    /* another request took the upload over */
  gboolean  body_done;
  gboolean  disk_paused;
};

static void upload_go_idle (Upload *upload);

static const ConfabConfig *
config_of (Files *files)
{
  return confab_server_get_config (files->server);
}

static ConfabStore *
store_of (Files *files)
{
  return confab_server_get_store (files->server);
}

static char *
new_file_id (void)
{
  guchar raw[18];

  randombytes_buf (raw, sizeof raw);
  /* 24 characters of base64url. */
  return g_strdelimit (g_strdelimit (g_base64_encode (raw, sizeof raw), "+", '-'), "/", '_');
}

static char *
path_for (Files      *files,
          const char *file_id)
{
  char shard[3] = { file_id[0], file_id[1], '\0' };

  return g_build_filename (files->dir, shard, file_id, NULL);
}

static char *
http_date (gint64 ms)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (ms / 1000);

  return g_date_time_format (dt, "%a, %d %b %Y %H:%M:%S GMT");
}

/* --- Answers --------------------------------------------------------------------------------- */

static SoupMessageHeaders *
response_headers (SoupServerMessage *msg)
{
  return soup_server_message_get_response_headers (msg);
}

static void
set_tus_headers (SoupServerMessage *msg)
{
  soup_message_headers_replace (response_headers (msg), "Tus-Resumable", CONFAB_TUS_VERSION);
}

static void
send_error (SoupServerMessage   *msg,
            ConfabProtocolError  code,
            const char          *message)
{
  set_tus_headers (msg);
  confab_http_send_error (msg, code, message);
}

static void
send_gerror (SoupServerMessage *msg,
             const GError      *error)
{
  set_tus_headers (msg);
  confab_http_send_gerror (msg, error);
}

/* A full disk, or a write refused for room: 507 with `unavailable`. */
static void
send_storage_error (SoupServerMessage *msg,
                    const GError      *error)
{
  g_warning ("files: %s", error->message);
  set_tus_headers (msg);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE))
    confab_http_send_error_full (msg, 507, "unavailable", "the server is out of storage", NULL);
  else
    confab_http_send_error (msg, CONFAB_PROTOCOL_ERROR_UNAVAILABLE, "cannot store the file now");
}

static Call *
call_new (Files             *files,
          SoupServerMessage *msg)
{
  Call *call = g_new0 (Call, 1);

  call->files = files;
  call->msg = g_object_ref (msg);
  return call;
}

static void
call_pause (Call *call)
{
  if (!call->paused)
    {
      soup_server_message_pause (call->msg);
      call->paused = TRUE;
    }
}

static void
call_resume (Call *call)
{
  if (call->paused)
    {
      call->paused = FALSE;
      if (!call->gone)
        soup_server_message_unpause (call->msg);
    }
}

static void
call_free (Call *call)
{
  call_resume (call);
  g_object_unref (call->msg);
  g_free (call->username);
  g_free (call->file_id);
  g_clear_pointer (&call->record, confab_file_record_free);
  g_clear_pointer (&call->metadata, g_hash_table_unref);
  g_free (call);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Call, call_free)

/* The id of /v1/files/<id>; answers 404 and returns NULL if it is not one. */
static char *
file_id_of (SoupServerMessage *msg)
{
  const char *path = g_uri_get_path (soup_server_message_get_uri (msg));
  const char *id = path + strlen ("/v1/files/");

  if (!g_str_has_prefix (path, "/v1/files/") || !confab_file_id_is_valid (id))
    {
      send_error (msg, CONFAB_PROTOCOL_ERROR_NOT_FOUND, "no such file");
      return NULL;
    }
  return g_strdup (id);
}

/* tus requests carry the version they speak; 412 otherwise. */
static gboolean
check_tus_version (SoupServerMessage *msg)
{
  const char *version = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                      "Tus-Resumable");

  if (g_strcmp0 (version, CONFAB_TUS_VERSION) == 0)
    return TRUE;
  soup_message_headers_replace (response_headers (msg), "Tus-Version", CONFAB_TUS_VERSION);
  set_tus_headers (msg);
  confab_http_send_error_full (msg, 412, "bad_request",
                               "this server speaks tus " CONFAB_TUS_VERSION, NULL);
  return FALSE;
}

/* --- Records as JSON ----------------------------------------------------------------------------
 *
 * A unit of work hands its record to the main thread inside its reply's result. */

static JsonObject *
record_to_json (const ConfabFileRecord *r)
{
  JsonObject *o = json_object_new ();

  json_object_set_string_member (o, "file_id", r->file_id);
  json_object_set_string_member (o, "owner", r->owner);
  json_object_set_string_member (o, "name", r->name);
  json_object_set_string_member (o, "mime", r->mime);
  json_object_set_string_member (o, "metadata", r->metadata != NULL ? r->metadata : "");
  if (r->sha256 != NULL)
    json_object_set_string_member (o, "sha256", r->sha256);
  if (r->thumbnail_file_id != NULL)
    json_object_set_string_member (o, "thumbnail_file_id", r->thumbnail_file_id);
  json_object_set_int_member (o, "size", r->size);
  json_object_set_int_member (o, "offset", r->offset);
  json_object_set_int_member (o, "created_ts", r->created_ts);
  json_object_set_int_member (o, "expires_ts", r->expires_ts);
  json_object_set_int_member (o, "width", r->width);
  json_object_set_int_member (o, "height", r->height);
  return o;
}

static ConfabFileRecord *
record_from_json (JsonObject *o)
{
  ConfabFileRecord *r = g_new0 (ConfabFileRecord, 1);

  r->file_id = g_strdup (json_object_get_string_member (o, "file_id"));
  r->owner = g_strdup (json_object_get_string_member (o, "owner"));
  r->name = g_strdup (json_object_get_string_member (o, "name"));
  r->mime = g_strdup (json_object_get_string_member (o, "mime"));
  r->metadata = g_strdup (json_object_get_string_member (o, "metadata"));
  r->sha256 = g_strdup (json_object_get_string_member_with_default (o, "sha256", NULL));
  r->thumbnail_file_id =
    g_strdup (json_object_get_string_member_with_default (o, "thumbnail_file_id", NULL));
  r->size = json_object_get_int_member (o, "size");
  r->offset = json_object_get_int_member (o, "offset");
  r->created_ts = json_object_get_int_member (o, "created_ts");
  r->expires_ts = json_object_get_int_member (o, "expires_ts");
  r->width = json_object_get_int_member (o, "width");
  r->height = json_object_get_int_member (o, "height");
  return r;
}

static ConfabStoreReply *
record_reply (const ConfabFileRecord *record)
{
  JsonObject *result = json_object_new ();

  json_object_set_object_member (result, "file", record_to_json (record));
  return confab_store_reply_new (result);
}

static ConfabFileRecord *
record_of_reply (ConfabStoreReply *reply)
{
  JsonObject *result = confab_store_reply_get_result (reply);

  if (!json_object_has_member (result, "file"))
    return NULL;
  return record_from_json (json_object_get_object_member (result, "file"));
}

/* --- Rules, on the store thread -------------------------------------------------------------- */

typedef struct
{
  ConfabFileRecord *record;
  char             *user;
  char             *file_id;
  gint64            offset;
  gint64            expires_ts;
  gint64            quota;
  guint             max_unfinished;
  char             *sha256;
  gboolean          owner_only;
  GStrv             ids;
  char             *dir;
} Args;

static void
args_free (gpointer data)
{
  Args *args = data;

  g_clear_pointer (&args->record, confab_file_record_free);
  g_free (args->user);
  g_free (args->file_id);
  g_free (args->sha256);
  g_strfreev (args->ids);
  g_free (args->dir);
  g_free (args);
}

/* Whether @user may read @r: its uploader; once it is complete, also the members of a
 * conversation where a message refers to it, and everyone if it is an avatar. */
static gboolean
may_read (ConfabStore            *store,
          const ConfabFileRecord *r,
          const char             *user)
{
  if (g_str_equal (r->owner, user))
    return TRUE;
  if (r->sha256 == NULL)
    return FALSE;
  return FS (store)->is_avatar (FSELF (store), r->file_id)
         || FS (store)->shared_with (FSELF (store), r->file_id, user);
}

static ConfabStoreReply *
create_work (ConfabStore  *store,
             gpointer      data,
             GError      **error)
{
  Args *args = data;
  gint64 bytes = 0;
  guint unfinished = 0;

  FS (store)->usage (FSELF (store), args->record->owner, &bytes, &unfinished);
  if (args->quota > 0 && bytes + args->record->size > args->quota)
    {
      confab_set_protocol_error (error, CONFAB_PROTOCOL_ERROR_TOO_LARGE, "this file would pass your storage quota");
      return NULL;
    }
  if (unfinished >= args->max_unfinished && args->record->size > 0)
    {
      confab_set_protocol_error (error, CONFAB_PROTOCOL_ERROR_RATE_LIMITED, "too many unfinished uploads");
      return NULL;
    }
  FS (store)->create (FSELF (store), args->record);
  if (args->record->size == 0)
    FS (store)->complete (FSELF (store), args->record->file_id, SHA256_EMPTY);
  return record_reply (args->record);
}

/* The record of a file @user may see; not_found for anyone else, also the uploader when
 * @owner_only. An unfinished upload past its expiry is gone. */
static ConfabStoreReply *
lookup_work (ConfabStore  *store,
             gpointer      data,
             GError      **error)
{
  Args *args = data;
  g_autoptr(ConfabFileRecord) r = FS (store)->get (FSELF (store), args->file_id);

  if (r == NULL
      || (r->sha256 == NULL && r->expires_ts <= confab_now_ms ())
      || (args->owner_only && !g_str_equal (r->owner, args->user))
      || !may_read (store, r, args->user))
    {
      confab_set_protocol_error (error, CONFAB_PROTOCOL_ERROR_NOT_FOUND, "no such file");
      return NULL;
    }
  return record_reply (r);
}

static ConfabStoreReply *
commit_work (ConfabStore  *store,
             gpointer      data,
             GError      **error)
{
  Args *args = data;

  if (args->sha256 != NULL)
    FS (store)->complete (FSELF (store), args->file_id, args->sha256);
  else
    FS (store)->set_offset (FSELF (store), args->file_id, args->offset, args->expires_ts);
  return confab_store_reply_new (NULL);
}

static ConfabStoreReply *
delete_work (ConfabStore  *store,
             gpointer      data,
             GError      **error)
{
  Args *args = data;
  g_autoptr(ConfabFileRecord) r = FS (store)->get (FSELF (store), args->file_id);

  if (r == NULL || !g_str_equal (r->owner, args->user))
    {
      confab_set_protocol_error (error, CONFAB_PROTOCOL_ERROR_NOT_FOUND, "no such file");
      return NULL;
    }
  if (FS (store)->in_use (FSELF (store), args->file_id))
    {
      confab_set_protocol_error (error, CONFAB_PROTOCOL_ERROR_CONFLICT,
                                 "a message or a profile uses this file; delete that first");
      return NULL;
    }
  FS (store)->remove (FSELF (store), args->file_id);
  return confab_store_reply_new (NULL);
}

/* Removes the expired uploads among @ids, still unfinished; result {removed: [ids]}. */
static ConfabStoreReply *
expire_work (ConfabStore  *store,
             gpointer      data,
             GError      **error)
{
  Args *args = data;
  JsonObject *result = json_object_new ();
  JsonArray *removed = json_array_new ();
  g_auto(GStrv) ids = FS (store)->expired (FSELF (store), confab_now_ms (), EXPIRED_PER_SWEEP);

  for (guint i = 0; ids[i] != NULL; i++)
    {
      if (args->ids != NULL && g_strv_contains ((const char * const *) args->ids, ids[i]))
        continue;
      FS (store)->remove (FSELF (store), ids[i]);
      json_array_add_string_element (removed, ids[i]);
    }
  json_object_set_array_member (result, "removed", removed);
  return confab_store_reply_new (result);
}

static void
run_work (Files               *files,
          const char          *name,
          ConfabStoreWorkFlags flags,
          ConfabStoreWorkFunc  func,
          Args                *args,
          GAsyncReadyCallback  callback,
          gpointer             user_data)
{
  confab_store_run_async (store_of (files), name, flags, func, args, args_free, NULL, callback,
                          user_data, run_work);
}

/* The record of call->file_id as call->username may see it (only as its uploader when
 * @owner_only); @callback gets @call back. */
static void
lookup_file (Call                *call,
             gboolean             owner_only,
             GAsyncReadyCallback  callback)
{
  Args *args = g_new0 (Args, 1);

  args->user = g_strdup (call->username);
  args->file_id = g_strdup (call->file_id);
  args->owner_only = owner_only;
  run_work (call->files, "file_lookup", CONFAB_STORE_WORK_READ, lookup_work, args, callback,
            call);
}

/* --- Hooks of other modules (store thread) ---------------------------------------------------- */

static gboolean
get_dimension (JsonObject  *item,
               const char  *name,
               gint        *out,
               GError     **error)
{
  JsonNode *node = json_object_get_member (item, name);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64
      || json_node_get_int (node) < 1 || json_node_get_int (node) > 65535)
    {
      g_set_error (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_BAD_REQUEST,
                   "%s must be a whole number from 1 to 65535", name);
      return FALSE;
    }
  *out = (gint) json_node_get_int (node);
  return TRUE;
}

/* A complete file @user may read; not_found or invalid otherwise. */
static ConfabFileRecord *
readable_complete (ConfabStore  *store,
                   const char   *user,
                   const char   *file_id,
                   GError      **error)
{
  g_autoptr(ConfabFileRecord) r = FS (store)->get (FSELF (store), file_id);

  if (r == NULL || !may_read (store, r, user))
    {
      g_set_error (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_NOT_FOUND,
                   "no such file: %s", file_id);
      return NULL;
    }
  if (r->sha256 == NULL)
    {
      g_set_error (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_INVALID,
                   "the upload of %s is not complete", file_id);
      return NULL;
    }
  return g_steal_pointer (&r);
}

char *
confab_files_resolve_attachments (ConfabStore  *store,
                                  const char   *sender,
                                  const char   *conv,
                                  const char   *client_msg_id,
                                  const char   *requested,
                                  GError      **error)
{
  g_autoptr(JsonNode) root = json_from_string (requested, NULL);
  g_autoptr(GPtrArray) seen = g_ptr_array_new ();
  g_autoptr(JsonArray) out = json_array_new ();
  g_autoptr(JsonNode) out_node = NULL;
  JsonArray *items;

  g_return_val_if_fail (CONFAB_IS_FILE_STORE (store), NULL);

  if (root == NULL || !JSON_NODE_HOLDS_ARRAY (root))
    {
      confab_set_protocol_error (error, CONFAB_PROTOCOL_ERROR_BAD_REQUEST, "attachments must be a list");
      return NULL;
    }
  items = json_node_get_array (root);
  if (json_array_get_length (items) > CONFAB_MAX_ATTACHMENTS)
    {
      confab_set_protocol_error (error, CONFAB_PROTOCOL_ERROR_INVALID, "at most 10 attachments");
      return NULL;
    }

  for (guint i = 0; i < json_array_get_length (items); i++)
    {
      JsonNode *node = json_array_get_element (items, i);
      JsonObject *item;
      JsonObject *attachment;
      const char *file_id;
      const char *thumb_id;
      g_autoptr(ConfabFileRecord) r = NULL;
      gint width;
      gint height;

      if (!JSON_NODE_HOLDS_OBJECT (node)
          || !confab_file_id_is_valid (file_id = json_object_get_string_member_with_default (
                                         item = json_node_get_object (node), "file_id", NULL)))
        {
          confab_set_protocol_error (error, CONFAB_PROTOCOL_ERROR_BAD_REQUEST,
                                     "each attachment is an object with a file_id");
          goto fail;
        }
      for (guint j = 0; j < seen->len; j++)
        if (g_str_equal (g_ptr_array_index (seen, j), file_id))
          {
            confab_set_protocol_error (error, CONFAB_PROTOCOL_ERROR_INVALID, "a file is attached twice");
            goto fail;
          }
      g_ptr_array_add (seen, (gpointer) file_id);

      r = readable_complete (store, sender, file_id, error);
      if (r == NULL)
        goto fail;
      width = r->width;
      height = r->height;
      if (!get_dimension (item, "width", &width, error)
          || !get_dimension (item, "height", &height, error))
        goto fail;
      thumb_id = json_object_get_string_member_with_default (item, "thumbnail_file_id",
                                                             r->thumbnail_file_id);
      if (thumb_id != NULL)
        {
          g_autoptr(ConfabFileRecord) thumb = NULL;

          if (!confab_file_id_is_valid (thumb_id)
              || (thumb = readable_complete (store, sender, thumb_id, error)) == NULL)
            {
              if (error != NULL && *error == NULL)
                confab_set_protocol_error (error, CONFAB_PROTOCOL_ERROR_BAD_REQUEST,
                                           "thumbnail_file_id is not a file id");
              goto fail;
            }
          if (!confab_file_mime_is_inline_image (thumb->mime))
            {
              confab_set_protocol_error (error, CONFAB_PROTOCOL_ERROR_INVALID, "a thumbnail must be an image");
              goto fail;
            }
          FS (store)->add_ref (FSELF (store), thumb_id, conv, sender, client_msg_id);
        }
      FS (store)->add_ref (FSELF (store), file_id, conv, sender, client_msg_id);

      attachment = json_object_new ();
      json_object_set_string_member (attachment, "file_id", r->file_id);
      json_object_set_string_member (attachment, "name", r->name);
      json_object_set_int_member (attachment, "size", r->size);
      json_object_set_string_member (attachment, "mime", r->mime);
      json_object_set_string_member (attachment, "sha256", r->sha256);
      if (width > 0 && height > 0)
        {
          json_object_set_int_member (attachment, "width", width);
          json_object_set_int_member (attachment, "height", height);
        }
      if (thumb_id != NULL)
        json_object_set_string_member (attachment, "thumbnail_file_id", thumb_id);
      json_array_add_object_element (out, attachment);
    }
  out_node = json_node_init_array (json_node_alloc (), out);
  return confab_json_to_string (out_node, NULL);

fail:
  return NULL;
}

gboolean
confab_files_check_avatar (ConfabStore  *store,
                           const char   *user,
                           const char   *file_id,
                           GError      **error)
{
  g_autoptr(ConfabFileRecord) r = NULL;

  g_return_val_if_fail (CONFAB_IS_FILE_STORE (store), FALSE);

  if (!confab_file_id_is_valid (file_id)
      || (r = FS (store)->get (FSELF (store), file_id)) == NULL
      || !g_str_equal (r->owner, user))
    {
      confab_set_protocol_error (error, CONFAB_PROTOCOL_ERROR_NOT_FOUND, "no such file");
      return FALSE;
    }
  if (r->sha256 == NULL || !confab_file_mime_is_inline_image (r->mime))
    {
      confab_set_protocol_error (error, CONFAB_PROTOCOL_ERROR_INVALID,
                                 "an avatar is a complete image "
                                 "(PNG, JPEG, GIF, WebP, AVIF or BMP)");
      return FALSE;
    }
  return TRUE;
}

/* --- Signing in -------------------------------------------------------------------------------- */

typedef void (*SignedInFunc) (Call *call);

static void call_done (Call *call);

typedef struct
{
  Call         *call;
  SignedInFunc  func;
} SignIn;

static void
sign_in_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autofree SignIn *sign_in = user_data;
  Call *call = sign_in->call;
  g_autoptr(GError) error = NULL;
  g_autoptr(ConfabStoreReply) reply = confab_store_finish (CONFAB_STORE (source), result,
                                                           &error);
  JsonObject *user;

  if (call->gone || reply == NULL)
    {
      /* Disabled accounts and unknown tokens alike: 401. */
      if (!call->gone)
        send_error (call->msg, CONFAB_PROTOCOL_ERROR_UNAUTHORIZED, "not signed in");
      call_done (call);
      return;
    }
  user = json_object_get_object_member (confab_store_reply_get_result (reply), "user");
  call->username = g_strdup (json_object_get_string_member (user, "username"));
  sign_in->func (call);
}

static void
on_call_finished (SoupServerMessage *msg,
                  gpointer           user_data)
{
  Call *call = user_data;

  call->gone = TRUE;
  call->paused = FALSE;
}

/* Runs @func with call->username set, or answers 401 and frees @call. */
static void
sign_in (Call         *call,
         SignedInFunc  func)
{
  g_autofree char *token = confab_http_bearer_token (call->msg);
  g_autofree char *token_hash = NULL;
  SignIn *sign_in;

  if (token == NULL || *token == '\0')
    {
      send_error (call->msg, CONFAB_PROTOCOL_ERROR_UNAUTHORIZED, "missing bearer token");
      call_free (call);
      return;
    }
  call_pause (call);
  g_signal_connect (call->msg, "finished", G_CALLBACK (on_call_finished), call);
  token_hash = confab_auth_hash_token (token);
  sign_in = g_new0 (SignIn, 1);
  sign_in->call = call;
  sign_in->func = func;
  confab_session_lookup_async (store_of (call->files), token_hash, NULL, sign_in_cb, sign_in);
}

/* A request on /v1/files/<id>: 404 for what cannot be an id, else sign in and go on. */
static void
sign_in_for_file (Files             *files,
                  SoupServerMessage *msg,
                  SignedInFunc       func)
{
  g_autofree char *file_id = file_id_of (msg);
  Call *call;

  if (file_id == NULL)
    return;
  call = call_new (files, msg);
  call->file_id = g_steal_pointer (&file_id);
  sign_in (call, func);
}

static void
call_done (Call *call)
{
  if (!call->gone)
    g_signal_handlers_disconnect_by_func (call->msg, on_call_finished, call);
  call_free (call);
}

/* Completes lookup_file (): whether call->record was found. Otherwise the call is answered
 * (404, or nothing if its client went away) and done. */
static gboolean
lookup_file_finish (Call         *call,
                    GObject      *source,
                    GAsyncResult *result)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ConfabStoreReply) reply = confab_store_finish (CONFAB_STORE (source), result, &error);

  if (call->gone || reply == NULL)
    {
      if (!call->gone)
        send_gerror (call->msg, error);
      call_done (call);
      return FALSE;
    }
  g_clear_pointer (&call->record, confab_file_record_free);
  call->record = record_of_reply (reply);
  return TRUE;
}

/* --- Uploads in memory ------------------------------------------------------------------------- */

static void
upload_free (gpointer data)
{
  Upload *upload = data;

  g_assert (upload->sink == NULL);
  g_free (upload->file_id);
  g_free (upload->path);
  if (upload->hash != NULL)
    gnutls_hash_deinit (upload->hash, NULL);
  g_ptr_array_unref (upload->waiters);
  g_free (upload);
}

static Upload *
upload_get (Files                  *files,
            const ConfabFileRecord *record)
{
  Upload *upload = g_hash_table_lookup (files->uploads, record->file_id);

  if (upload != NULL)
    return upload;
  upload = g_new0 (Upload, 1);
  upload->files = files;
  upload->file_id = g_strdup (record->file_id);
  upload->path = path_for (files, record->file_id);
  upload->size = record->size;
  upload->offset = record->offset;
  upload->waiters = g_ptr_array_new_with_free_func (g_free);
  g_hash_table_insert (files->uploads, upload->file_id, upload);
  return upload;
}

static gboolean
upload_is_busy (Upload *upload)
{
  return upload->sink != NULL || upload->committing;
}

static void sink_done (gint64 synced, const GError *error, gpointer user_data);

/* Runs @func once no request writes to @upload any more; a PATCH still sending is cut off
 * (what it sent so far is kept): whoever asks now is the client that lost that connection. */
static void
upload_when_idle (Upload   *upload,
                  IdleFunc  func,
                  gpointer  data)
{
  Waiter *waiter;

  if (!upload_is_busy (upload))
    {
      func (upload, data);
      return;
    }
  waiter = g_new0 (Waiter, 1);
  waiter->func = func;
  waiter->data = data;
  g_ptr_array_add (upload->waiters, waiter);

  if (upload->patch != NULL && !upload->patch->body_done)
    {
      Patch *patch = g_steal_pointer (&upload->patch);

      patch->superseded = TRUE;
      if (patch->disk_paused)
        {
          patch->disk_paused = FALSE;
          call_resume (patch->call);
        }
      confab_file_sink_finish (upload->sink, sink_done);
    }
}

static void
upload_go_idle (Upload *upload)
{
  g_autoptr(GPtrArray) waiters = g_steal_pointer (&upload->waiters);
  Files *files = upload->files;
  g_autofree char *file_id = g_strdup (upload->file_id);

  upload->waiters = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < waiters->len; i++)
    {
      Waiter *waiter = g_ptr_array_index (waiters, i);

      /* A waiter may have finished or removed the upload. */
      upload = g_hash_table_lookup (files->uploads, file_id);
      if (upload == NULL || upload_is_busy (upload))
        {
          if (upload != NULL)
            g_ptr_array_add (upload->waiters, g_memdup2 (waiter, sizeof *waiter));
          else
            waiter->func (NULL, waiter->data);
          continue;
        }
      waiter->func (upload, waiter->data);
    }
}

/* --- PATCH ----------------------------------------------------------------------------------- */

static void patch_answer (Patch *patch, const GError *error);

static void
patch_free (Patch *patch)
{
  if (!patch->call->gone)
    g_signal_handlers_disconnect_by_data (patch->call->msg, patch);
  call_done (patch->call);
  g_free (patch);
}

typedef struct
{
  Upload *upload;
  Patch  *patch;
  GError *error;
} Commit;

static void
commit_done_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  Commit *commit = user_data;
  Upload *upload = commit->upload;
  Files *files = upload->files;
  g_autoptr(GError) error = NULL;
  g_autoptr(ConfabStoreReply) reply = confab_store_finish (CONFAB_STORE (source), result, &error);
  gboolean complete = upload->offset == upload->size;

  upload->committing = FALSE;
  if (reply == NULL && commit->error == NULL)
    {
      g_warning ("files: cannot record the offset of %s: %s", upload->file_id, error->message);
      commit->error = g_error_new_literal (CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_INTERNAL,
                                           "cannot record the upload");
    }
  if (commit->patch != NULL)
    {
      patch_answer (commit->patch, commit->error);
      patch_free (commit->patch);
    }
  g_clear_error (&commit->error);
  g_free (commit);

  if (complete && reply != NULL)
    {
      /* Whole: nothing more to keep in memory; whoever waited sees the finished file. */
      g_autoptr(GPtrArray) waiters = g_steal_pointer (&upload->waiters);

      upload->waiters = g_ptr_array_new_with_free_func (g_free);
      g_hash_table_remove (files->uploads, upload->file_id);
      for (guint i = 0; i < waiters->len; i++)
        {
          Waiter *waiter = g_ptr_array_index (waiters, i);

          waiter->func (NULL, waiter->data);
        }
      return;
    }
  upload_go_idle (upload);
}

static void
sink_done (gint64        synced,
           const GError *error,
           gpointer      user_data)
{
  Upload *upload = user_data;
  Files *files = upload->files;
  g_autoptr(ConfabFileSink) sink = g_steal_pointer (&upload->sink);
  Commit *commit = g_new0 (Commit, 1);
  Args *args = g_new0 (Args, 1);

  commit->upload = upload;
  /* NULL if the request ended or was superseded: there is no one to answer. */
  commit->patch = g_steal_pointer (&upload->patch);
  commit->error = error != NULL ? g_error_copy (error) : NULL;

  upload->offset = synced;
  if (upload->hash != NULL)
    gnutls_hash_deinit (upload->hash, NULL);
  upload->hash = confab_file_sink_steal_hash (sink);
  upload->committing = TRUE;

  args->file_id = g_strdup (upload->file_id);
  args->offset = synced;
  args->expires_ts = confab_now_ms () + (gint64) config_of (files)->upload_expiry_s * 1000;
  if (synced == upload->size && upload->hash != NULL)
    args->sha256 = confab_file_hash_finish (g_steal_pointer (&upload->hash));
  run_work (files, "file_commit", CONFAB_STORE_WORK_WRITE, commit_work, args, commit_done_cb,
            commit);
}

static void
checkpoint_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ConfabStoreReply) reply = confab_store_finish (CONFAB_STORE (source), result, &error);

  if (reply == NULL)
    g_debug ("files: checkpoint not recorded: %s", error->message);
}

static void
sink_checkpoint (gint64   synced,
                 gpointer user_data)
{
  Upload *upload = user_data;
  Files *files = upload->files;
  Args *args = g_new0 (Args, 1);

  args->file_id = g_strdup (upload->file_id);
  args->offset = synced;
  args->expires_ts = confab_now_ms () + (gint64) config_of (files)->upload_expiry_s * 1000;
  run_work (files, "file_checkpoint", CONFAB_STORE_WORK_WRITE, commit_work, args, checkpoint_cb,
            NULL);
}

static void
sink_drained (gpointer user_data)
{
  Upload *upload = user_data;
  Patch *patch = upload->patch;

  if (patch != NULL && patch->disk_paused)
    {
      patch->disk_paused = FALSE;
      call_resume (patch->call);
    }
}

static void
patch_answer (Patch        *patch,
              const GError *error)
{
  Call *call = patch->call;
  g_autofree char *offset = g_strdup_printf ("%" G_GINT64_FORMAT, patch->upload->offset);

  if (call->gone || !patch->body_done)
    return;
  if (error != NULL)
    send_storage_error (call->msg, error);
  else if (patch->too_large)
    send_error (call->msg, CONFAB_PROTOCOL_ERROR_TOO_LARGE, "the body goes past Upload-Length");
  else
    {
      set_tus_headers (call->msg);
      soup_server_message_set_status (call->msg, 204, NULL);
    }
  soup_message_headers_replace (response_headers (call->msg), "Upload-Offset", offset);
  if (patch->upload->offset < patch->upload->size)
    {
      g_autofree char *expires = http_date (confab_now_ms () + (gint64) config_of (call->files)->upload_expiry_s * 1000);

      soup_message_headers_replace (response_headers (call->msg), "Upload-Expires", expires);
    }
}

static void
on_patch_chunk (SoupServerMessage *msg,
                GBytes            *chunk,
                gpointer           user_data)
{
  Patch *patch = user_data;
  Upload *upload = patch->upload;
  gsize len = g_bytes_get_size (chunk);
  gint64 room;

  if (patch->superseded || patch->too_large || upload->patch != patch)
    return;
  room = upload->size - upload->offset - patch->received;
  if ((gint64) len > room)
    {
      patch->too_large = TRUE;
      if (room <= 0)
        return;
      {
        g_autoptr(GBytes) part = g_bytes_new_from_bytes (chunk, 0, room);

        patch->received += room;
        confab_file_sink_push (upload->sink, part);
      }
      return;
    }
  patch->received += len;
  if (!confab_file_sink_push (upload->sink, chunk) && !patch->disk_paused)
    {
      patch->disk_paused = TRUE;
      patch->call->paused = FALSE;
      call_pause (patch->call);
    }
}

/* The connection of a PATCH ended: before its body did if the client went away. */
static void
on_patch_finished (SoupServerMessage *msg,
                   gpointer           user_data)
{
  Patch *patch = user_data;
  Upload *upload = patch->upload;

  patch->call->gone = TRUE;
  patch->call->paused = FALSE;
  g_signal_handlers_disconnect_by_data (msg, patch);
  if (patch->body_done && !patch->superseded)
    return;   /* being answered: commit_done_cb frees it */
  if (upload->patch == patch)
    {
      /* Keep what came: the client will ask for the offset and go on from there. */
      upload->patch = NULL;
      confab_file_sink_finish (upload->sink, sink_done);
      patch_free (patch);
    }
  else if (patch->superseded)
    patch_free (patch);
}

static void
patch_start (Upload   *upload,
             gpointer  data)
{
  Call *call = data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (call->msg);
  Patch *patch;

  if (call->gone)
    {
      call_done (call);
      return;
    }
  if (upload == NULL)
    {
      /* Completed or removed while this request waited. */
      send_error (call->msg, CONFAB_PROTOCOL_ERROR_CONFLICT, "the upload is complete or gone");
      call_done (call);
      return;
    }
  if (call->offset != upload->offset)
    {
      g_autofree char *offset = g_strdup_printf ("%" G_GINT64_FORMAT, upload->offset);

      soup_message_headers_replace (response_headers (call->msg), "Upload-Offset", offset);
      send_error (call->msg, CONFAB_PROTOCOL_ERROR_CONFLICT,
                  "Upload-Offset does not match the upload's offset");
      call_done (call);
      return;
    }
  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH
      && soup_message_headers_get_content_length (headers) > upload->size - upload->offset)
    {
      send_error (call->msg, CONFAB_PROTOCOL_ERROR_TOO_LARGE, "the body goes past Upload-Length");
      call_done (call);
      return;
    }

  patch = g_new0 (Patch, 1);
  patch->call = call;
  patch->upload = upload;
  g_signal_handlers_disconnect_by_func (call->msg, on_call_finished, call);
  g_object_set_data (G_OBJECT (call->msg), "confab-patch", patch);
  g_signal_connect (call->msg, "got-chunk", G_CALLBACK (on_patch_chunk), patch);
  g_signal_connect (call->msg, "finished", G_CALLBACK (on_patch_finished), patch);

  /* The hash kept in memory covers exactly [0, offset) and goes on from there; after a
   * restart the sink reads it back from the file. */
  upload->patch = patch;
  upload->sink = confab_file_sink_new (upload->path, upload->offset,
                                       g_steal_pointer (&upload->hash), CHECKPOINT_BYTES,
                                       config_of (call->files)->file_reserve_bytes,
                                       sink_drained, sink_checkpoint, upload);
  call_resume (call);
}

static void
patch_lookup_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Call *call = user_data;
  ConfabFileRecord *record;

  if (!lookup_file_finish (call, source, result))
    return;
  record = call->record;
  if (record->sha256 != NULL)
    {
      g_autofree char *offset = g_strdup_printf ("%" G_GINT64_FORMAT, record->size);

      soup_message_headers_replace (response_headers (call->msg), "Upload-Offset", offset);
      send_error (call->msg, CONFAB_PROTOCOL_ERROR_CONFLICT, "the upload is complete");
      call_done (call);
      return;
    }
  upload_when_idle (upload_get (call->files, record), patch_start, call);
}

static void
patch_signed_in (Call *call)
{
  lookup_file (call, TRUE, patch_lookup_cb);
}

/* Before the body: who asks, on which upload, at which offset. */
static void
patch_got_headers (gpointer           instance,
                   SoupServerMessage *msg)
{
  Files *files = instance;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  g_autofree char *file_id = NULL;
  const char *type;
  gint64 offset;
  Call *call;

  if (!check_tus_version (msg) || (file_id = file_id_of (msg)) == NULL)
    return;
  type = soup_message_headers_get_content_type (headers, NULL);
  if (g_strcmp0 (type, "application/offset+octet-stream") != 0)
    {
      set_tus_headers (msg);
      confab_http_send_error_full (msg, 415, "bad_request",
                                   "the body must be application/offset+octet-stream", NULL);
      return;
    }
  if (!confab_tus_parse_size (soup_message_headers_get_one (headers, "Upload-Offset"), &offset))
    {
      send_error (msg, CONFAB_PROTOCOL_ERROR_BAD_REQUEST, "Upload-Offset is missing or malformed");
      return;
    }

  call = call_new (files, msg);
  call->file_id = g_steal_pointer (&file_id);
  call->offset = offset;
  sign_in (call, patch_signed_in);
}

/* The body is in (or was cut short by the server): sync, record, answer. */
static void
handle_patch (gpointer           instance,
              SoupServerMessage *msg)
{
  Patch *patch = g_object_get_data (G_OBJECT (msg), "confab-patch");

  if (patch == NULL)
    {
      /* got_headers answered already, or is still busy: nothing to add. */
      if (soup_server_message_get_status (msg) == 0)
        send_error (msg, CONFAB_PROTOCOL_ERROR_INTERNAL, "the upload was not ready");
      return;
    }
  g_object_set_data (G_OBJECT (msg), "confab-patch", NULL);
  g_signal_handlers_disconnect_by_func (msg, on_patch_chunk, patch);
  patch->body_done = TRUE;
  patch->call->paused = FALSE;
  call_pause (patch->call);
  if (patch->superseded)
    {
      send_error (msg, CONFAB_PROTOCOL_ERROR_CONFLICT,
                  "another request took this upload over; ask for its offset");
      patch_free (patch);
      return;
    }
  /* on_patch_finished stays: the client may still go away before the answer. */
  confab_file_sink_finish (patch->upload->sink, sink_done);
}

/* --- POST (creation) -------------------------------------------------------------------------- */

static void
create_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(Call) call = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(ConfabStoreReply) reply = confab_store_finish (CONFAB_STORE (source), result, &error);
  g_autoptr(ConfabFileRecord) record = NULL;
  g_autoptr(JsonObject) body = json_object_new ();
  g_autofree char *location = NULL;

  if (!call->gone)
    g_signal_handlers_disconnect_by_func (call->msg, on_call_finished, call);
  if (call->gone)
    return;
  if (reply == NULL)
    {
      if (g_error_matches (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_RATE_LIMITED))
        {
          set_tus_headers (call->msg);
          confab_http_send_rate_limited (call->msg, 5000);
          return;
        }
      send_gerror (call->msg, error);
      return;
    }
  record = record_of_reply (reply);
  if (record->size == 0)
    {
      g_autofree char *path = path_for (call->files, record->file_id);
      g_autoptr(GError) local_error = NULL;

      if (!g_file_set_contents_full (path, "", 0, G_FILE_SET_CONTENTS_DURABLE, 0600,
                                     &local_error))
        g_warning ("files: %s", local_error->message);
    }
  location = g_strconcat ("/v1/files/", record->file_id, NULL);
  set_tus_headers (call->msg);
  soup_message_headers_replace (response_headers (call->msg), "Location", location);
  soup_message_headers_replace (response_headers (call->msg), "Upload-Offset", "0");
  if (record->size > 0)
    {
      g_autofree char *expires = http_date (record->expires_ts);

      soup_message_headers_replace (response_headers (call->msg), "Upload-Expires", expires);
    }
  json_object_set_string_member (body, "file_id", record->file_id);
  json_object_set_string_member (body, "location", location);
  confab_http_send_json (call->msg, 201, body);
}

static void
create_signed_in (Call *call)
{
  const ConfabConfig *config = config_of (call->files);
  g_autofree char *shard = NULL;
  ConfabFileRecord *r = g_new0 (ConfabFileRecord, 1);
  Args *args = g_new0 (Args, 1);
  const char *value;
  g_autofree char *mime = NULL;

  r->file_id = new_file_id ();
  r->owner = g_strdup (call->username);
  value = g_hash_table_lookup (call->metadata, "filename");
  if (value == NULL)
    value = g_hash_table_lookup (call->metadata, "name");
  r->name = confab_file_name_sanitize (value);
  value = g_hash_table_lookup (call->metadata, "filetype");
  if (value == NULL)
    value = g_hash_table_lookup (call->metadata, "type");
  mime = confab_file_mime_normalize (value);
  r->mime = mime != NULL ? g_steal_pointer (&mime) : g_strdup ("application/octet-stream");
  value = soup_message_headers_get_one (soup_server_message_get_request_headers (call->msg),
                                        "Upload-Metadata");
  r->metadata = g_strdup (value != NULL ? value : "");
  r->thumbnail_file_id = g_strdup (g_hash_table_lookup (call->metadata, "thumbnail_file_id"));
  {
    gint64 n;

    if (confab_tus_parse_size (g_hash_table_lookup (call->metadata, "width"), &n) && n <= 65535)
      r->width = (gint) n;
    if (confab_tus_parse_size (g_hash_table_lookup (call->metadata, "height"), &n) && n <= 65535)
      r->height = (gint) n;
  }
  r->size = call->length;
  r->created_ts = confab_now_ms ();
  r->expires_ts = r->created_ts + (gint64) config->upload_expiry_s * 1000;

  /* The shard directory exists before any byte is written to it. */
  {
    g_autofree char *path = path_for (call->files, r->file_id);

    shard = g_path_get_dirname (path);
  }
  if (g_mkdir_with_parents (shard, 0700) != 0)
    {
      g_autoptr(GError) error = g_error_new (G_IO_ERROR, g_io_error_from_errno (errno),
                                             "cannot create %s: %s", shard, g_strerror (errno));

      g_signal_handlers_disconnect_by_func (call->msg, on_call_finished, call);
      send_storage_error (call->msg, error);
      confab_file_record_free (r);
      g_free (args);
      call_free (call);
      return;
    }

  args->record = r;
  args->quota = (gint64) MIN (config->file_quota_bytes, (guint64) G_MAXINT64);
  args->max_unfinished = config->uploads_per_user;
  run_work (call->files, "file_create", CONFAB_STORE_WORK_WRITE, create_work, args, create_cb,
            call);
}

static void
handle_create (gpointer           instance,
               SoupServerMessage *msg)
{
  Files *files = instance;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *metadata = soup_message_headers_get_one (headers, "Upload-Metadata");
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) parsed = NULL;
  const char *thumb;
  gint64 length;
  Call *call;

  if (!check_tus_version (msg))
    return;
  if (soup_message_headers_get_one (headers, "Upload-Defer-Length") != NULL)
    {
      send_error (msg, CONFAB_PROTOCOL_ERROR_BAD_REQUEST, "give Upload-Length; it cannot wait");
      return;
    }
  if (!confab_tus_parse_size (soup_message_headers_get_one (headers, "Upload-Length"), &length))
    {
      send_error (msg, CONFAB_PROTOCOL_ERROR_BAD_REQUEST, "Upload-Length is missing or malformed");
      return;
    }
  if (length > config_of (files)->max_file_bytes)
    {
      g_autofree char *max = g_strdup_printf ("%" G_GINT64_FORMAT,
                                              config_of (files)->max_file_bytes);

      soup_message_headers_replace (response_headers (msg), "Tus-Max-Size", max);
      send_error (msg, CONFAB_PROTOCOL_ERROR_TOO_LARGE, "the file is larger than max_file_bytes");
      return;
    }
  parsed = confab_tus_parse_metadata (metadata != NULL ? metadata : "", &error);
  if (parsed == NULL)
    {
      send_gerror (msg, error);
      return;
    }
  thumb = g_hash_table_lookup (parsed, "thumbnail_file_id");
  if (thumb != NULL && !confab_file_id_is_valid (thumb))
    {
      send_error (msg, CONFAB_PROTOCOL_ERROR_BAD_REQUEST, "thumbnail_file_id is not a file id");
      return;
    }

  call = call_new (files, msg);
  call->length = length;
  call->metadata = g_steal_pointer (&parsed);
  sign_in (call, create_signed_in);
}

/* --- OPTIONS, HEAD, DELETE -------------------------------------------------------------------- */

static void
handle_options (gpointer           instance,
                SoupServerMessage *msg)
{
  Files *files = instance;
  g_autofree char *max = g_strdup_printf ("%" G_GINT64_FORMAT, config_of (files)->max_file_bytes);
  SoupMessageHeaders *headers = response_headers (msg);

  set_tus_headers (msg);
  soup_message_headers_replace (headers, "Tus-Version", CONFAB_TUS_VERSION);
  soup_message_headers_replace (headers, "Tus-Extension", "creation,termination,expiration");
  soup_message_headers_replace (headers, "Tus-Max-Size", max);
  soup_server_message_set_status (msg, 204, NULL);
}

static void head_signed_in (Call *call);

static void
head_answer (Call *call)
{
  ConfabFileRecord *r = call->record;
  SoupMessageHeaders *headers = response_headers (call->msg);
  g_autofree char *offset = NULL;
  g_autofree char *length = NULL;

  offset = g_strdup_printf ("%" G_GINT64_FORMAT, r->sha256 != NULL ? r->size : r->offset);
  length = g_strdup_printf ("%" G_GINT64_FORMAT, r->size);
  set_tus_headers (call->msg);
  soup_message_headers_replace (headers, "Upload-Offset", offset);
  soup_message_headers_replace (headers, "Upload-Length", length);
  if (r->metadata != NULL && *r->metadata != '\0')
    soup_message_headers_replace (headers, "Upload-Metadata", r->metadata);
  if (r->sha256 == NULL)
    {
      g_autofree char *expires = http_date (r->expires_ts);

      soup_message_headers_replace (headers, "Upload-Expires", expires);
    }
  soup_server_message_set_status (call->msg, 200, NULL);
  call_done (call);
}

/* The record was read while a PATCH still wrote: what counts is what it left on disk. */
static void
head_after_idle (Upload   *upload,
                 gpointer  data)
{
  Call *call = data;

  if (call->gone)
    {
      call_done (call);
      return;
    }
  if (upload == NULL)
    {
      /* Completed (or removed) meanwhile: read the record again. */
      g_clear_pointer (&call->record, confab_file_record_free);
      head_signed_in (call);
      return;
    }
  call->record->offset = upload->offset;
  head_answer (call);
}

static void
head_lookup_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  Call *call = user_data;
  Upload *upload;

  if (!lookup_file_finish (call, source, result))
    return;
  upload = g_hash_table_lookup (call->files->uploads, call->record->file_id);
  if (upload != NULL && g_str_equal (call->record->owner, call->username))
    {
      upload_when_idle (upload, head_after_idle, call);
      return;
    }
  head_answer (call);
}

static void
head_signed_in (Call *call)
{
  lookup_file (call, FALSE, head_lookup_cb);
}

static void
handle_head (gpointer           instance,
             SoupServerMessage *msg)
{
  sign_in_for_file (instance, msg, head_signed_in);
}

static void
delete_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Call *call = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(ConfabStoreReply) reply = confab_store_finish (CONFAB_STORE (source), result, &error);

  if (reply != NULL)
    {
      g_autofree char *path = path_for (call->files, call->file_id);
      Upload *upload = g_hash_table_lookup (call->files->uploads, call->file_id);

      if (upload != NULL && !upload_is_busy (upload))
        g_hash_table_remove (call->files->uploads, call->file_id);
      if (g_unlink (path) != 0 && errno != ENOENT)
        g_warning ("files: cannot remove %s: %s", path, g_strerror (errno));
    }
  if (!call->gone)
    {
      if (reply == NULL)
        send_gerror (call->msg, error);
      else
        {
          set_tus_headers (call->msg);
          soup_server_message_set_status (call->msg, 204, NULL);
        }
    }
  call_done (call);
}

static void
delete_when_idle (Upload   *upload,
                  gpointer  data)
{
  Call *call = data;
  Args *args = g_new0 (Args, 1);

  args->user = g_strdup (call->username);
  args->file_id = g_strdup (call->file_id);
  run_work (call->files, "file_delete", CONFAB_STORE_WORK_WRITE, delete_work, args, delete_cb,
            call);
}

static void
delete_lookup_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Call *call = user_data;
  Upload *upload;

  if (!lookup_file_finish (call, source, result))
    return;
  /* Only the uploader's request may take over a PATCH in progress. */
  upload = g_hash_table_lookup (call->files->uploads, call->file_id);
  if (upload != NULL)
    upload_when_idle (upload, delete_when_idle, call);
  else
    delete_when_idle (NULL, call);
}

static void
delete_signed_in (Call *call)
{
  lookup_file (call, TRUE, delete_lookup_cb);
}

static void
handle_delete (gpointer           instance,
               SoupServerMessage *msg)
{
  if (check_tus_version (msg))
    sign_in_for_file (instance, msg, delete_signed_in);
}

/* --- GET -------------------------------------------------------------------------------------- */

typedef struct
{
  Call         *call;
  GInputStream *stream;
  gint64        left;       /* bytes still to read */
  gboolean      reading;
  guint         queued;     /* chunks appended and not yet written */
} Download;

static void download_read_more (Download *download);

static void
download_free (Download *download)
{
  g_clear_object (&download->stream);
  call_free (download->call);
  g_free (download);
}

static void
download_read_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Download *download = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result,
                                                              &error);
  SoupMessageBody *body;

  download->reading = FALSE;
  if (download->call->gone)
    {
      download_free (download);
      return;
    }
  body = soup_server_message_get_response_body (download->call->msg);
  if (bytes == NULL || g_bytes_get_size (bytes) == 0)
    {
      /* The file shrank under us, or cannot be read: end the connection short of the length
       * announced, so that the client knows it did not get it all. */
      g_autoptr(GIOStream) connection = NULL;

      g_warning ("files: reading %s failed: %s", download->call->file_id,
                 error != NULL ? error->message : "file shorter than recorded");
      g_signal_handlers_disconnect_by_data (download->call->msg, download);
      connection = soup_server_message_steal_connection (download->call->msg);
      download->call->gone = TRUE;
      if (connection != NULL)
        g_io_stream_close (connection, NULL, NULL);
      download_free (download);
      return;
    }
  download->left -= g_bytes_get_size (bytes);
  soup_message_body_append_bytes (body, bytes);
  download->queued++;
  if (download->left == 0)
    soup_message_body_complete (body);
  soup_server_message_unpause (download->call->msg);
  download_read_more (download);
}

static void
download_read_more (Download *download)
{
  if (download->reading || download->left == 0 || download->queued >= 2)
    return;
  download->reading = TRUE;
  g_input_stream_read_bytes_async (download->stream, MIN (READ_BLOCK, download->left),
                                   G_PRIORITY_DEFAULT, NULL, download_read_cb, download);
}

static void
on_download_wrote_chunk (SoupServerMessage *msg,
                         gpointer           user_data)
{
  Download *download = user_data;

  if (download->queued > 0)
    download->queued--;
  download_read_more (download);
}

static void
on_download_finished (SoupServerMessage *msg,
                      gpointer           user_data)
{
  Download *download = user_data;

  g_signal_handlers_disconnect_by_data (msg, download);
  download->call->gone = TRUE;
  download->call->paused = FALSE;
  if (!download->reading)
    download_free (download);
}

static void
download_opened_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  Download *download = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GFileInputStream) stream = g_file_read_finish (G_FILE (source), result, &error);
  Call *call = download->call;
  gint64 start = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (call->msg), "confab-start"));

  download->reading = FALSE;
  if (call->gone)
    {
      download_free (download);
      return;
    }
  if (stream == NULL
      || (start > 0 && !g_seekable_seek (G_SEEKABLE (stream), start, G_SEEK_SET, NULL, &error)))
    {
      g_signal_handlers_disconnect_by_data (call->msg, download);
      g_warning ("files: cannot open %s: %s", call->file_id, error->message);
      /* Paused since signing in: let the error out. */
      call->paused = TRUE;
      soup_message_headers_remove (response_headers (call->msg), "Content-Length");
      soup_message_headers_remove (response_headers (call->msg), "Content-Range");
      send_error (call->msg, CONFAB_PROTOCOL_ERROR_UNAVAILABLE, "cannot read the file now");
      download_free (download);
      return;
    }
  download->stream = G_INPUT_STREAM (g_steal_pointer (&stream));
  download_read_more (download);
}

static void
get_lookup_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  Call *call = user_data;
  SoupMessageHeaders *request;
  SoupMessageHeaders *headers;
  g_autofree char *etag = NULL;
  g_autofree char *disposition = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GFile) file = NULL;
  const char *if_range;
  ConfabFileRecord *r;
  gint64 start = 0;
  gint64 end;
  gboolean partial = FALSE;
  gboolean is_inline;
  Download *download;

  if (!lookup_file_finish (call, source, result))
    return;
  r = call->record;
  if (r->sha256 == NULL)
    {
      send_error (call->msg, CONFAB_PROTOCOL_ERROR_CONFLICT, "the upload is not complete");
      call_done (call);
      return;
    }

  request = soup_server_message_get_request_headers (call->msg);
  headers = response_headers (call->msg);
  etag = g_strdup_printf ("\"%s\"", r->sha256);
  is_inline = confab_file_mime_is_inline_image (r->mime);
  disposition = confab_http_content_disposition (r->name, is_inline);
  /* Content that never changes under its id; who may read it is checked on each request. */
  soup_message_headers_replace (headers, "Cache-Control", "private, no-cache");
  soup_message_headers_replace (headers, "ETag", etag);
  soup_message_headers_replace (headers, "X-Content-Type-Options", "nosniff");
  soup_message_headers_replace (headers, "Content-Security-Policy", "default-src 'none'; sandbox");
  soup_message_headers_replace (headers, "Accept-Ranges", "bytes");
  soup_message_headers_replace (headers, "Content-Disposition", disposition);

  if (confab_http_etag_matches (soup_message_headers_get_one (request, "If-None-Match"), etag))
    {
      soup_server_message_set_status (call->msg, 304, NULL);
      call_done (call);
      return;
    }

  end = r->size - 1;
  /* A Range under an If-Range of another version gets the whole file. */
  if_range = soup_message_headers_get_one (request, "If-Range");
  if (if_range == NULL || confab_http_etag_matches (if_range, etag))
    {
      switch (confab_http_parse_range (soup_message_headers_get_one (request, "Range"), r->size,
                                       &start, &end))
        {
        case CONFAB_RANGE_PARTIAL:
          partial = TRUE;
          break;
        case CONFAB_RANGE_UNSATISFIABLE:
          {
            g_autofree char *range = g_strdup_printf ("bytes */%" G_GINT64_FORMAT, r->size);

            soup_message_headers_replace (headers, "Content-Range", range);
            confab_http_send_error_full (call->msg, 416, "invalid",
                                         "the range is outside the file", NULL);
            call_done (call);
            return;
          }
        case CONFAB_RANGE_NONE:
        default:
          start = 0;
          end = r->size - 1;
          break;
        }
    }

  /* The type as the uploader gave it: with nosniff, the sandbox and an attachment
   * disposition for all but raster images, a browser renders none of it. */
  soup_message_headers_set_content_type (headers, r->mime, NULL);
  if (partial)
    soup_message_headers_set_content_range (headers, start, end, r->size);
  soup_server_message_set_status (call->msg, partial ? 206 : 200, NULL);
  soup_message_headers_set_content_length (headers, end - start + 1);
  if (r->size == 0)
    {
      call_done (call);
      return;
    }

  g_signal_handlers_disconnect_by_func (call->msg, on_call_finished, call);
  soup_message_body_set_accumulate (soup_server_message_get_response_body (call->msg), FALSE);
  /* Paused until the first block is read; from now on the download unpauses it itself. */
  call->paused = FALSE;
  download = g_new0 (Download, 1);
  download->call = call;
  download->left = end - start + 1;
  download->reading = TRUE;
  g_object_set_data (G_OBJECT (call->msg), "confab-start", GSIZE_TO_POINTER ((gsize) start));
  g_signal_connect (call->msg, "wrote-chunk", G_CALLBACK (on_download_wrote_chunk), download);
  g_signal_connect (call->msg, "finished", G_CALLBACK (on_download_finished), download);
  path = path_for (call->files, r->file_id);
  file = g_file_new_for_path (path);
  g_file_read_async (file, G_PRIORITY_DEFAULT, NULL, download_opened_cb, download);
}

static void
get_signed_in (Call *call)
{
  lookup_file (call, FALSE, get_lookup_cb);
}

static void
handle_get (gpointer           instance,
            SoupServerMessage *msg)
{
  sign_in_for_file (instance, msg, get_signed_in);
}

/* --- Expiry ---------------------------------------------------------------------------------- */

static void
expire_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Files *files = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(ConfabStoreReply) reply = confab_store_finish (CONFAB_STORE (source), result, &error);
  JsonArray *removed;

  if (reply == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_warning ("files: expiry failed: %s", error->message);
      return;
    }
  removed = json_object_get_array_member (confab_store_reply_get_result (reply), "removed");
  for (guint i = 0; i < json_array_get_length (removed); i++)
    {
      const char *file_id = json_array_get_string_element (removed, i);
      g_autofree char *path = path_for (files, file_id);
      Upload *upload = g_hash_table_lookup (files->uploads, file_id);

      if (upload != NULL && !upload_is_busy (upload) && upload->waiters->len == 0)
        g_hash_table_remove (files->uploads, file_id);
      if (g_unlink (path) != 0 && errno != ENOENT)
        g_warning ("files: cannot remove %s: %s", path, g_strerror (errno));
      else
        g_debug ("files: removed the expired upload %s", file_id);
    }
}

static gboolean
sweep_expired (gpointer user_data)
{
  Files *files = user_data;
  g_autoptr(GStrvBuilder) busy = g_strv_builder_new ();
  Args *args = g_new0 (Args, 1);
  GHashTableIter iter;
  gpointer value;

  /* An upload being written to is not abandoned, whatever its recorded expiry says. */
  g_hash_table_iter_init (&iter, files->uploads);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (upload_is_busy (value))
      g_strv_builder_add (busy, ((Upload *) value)->file_id);
  args->ids = g_strv_builder_end (busy);
  run_work (files, "file_expire", CONFAB_STORE_WORK_WRITE, expire_work, args, expire_cb, files);
  return G_SOURCE_CONTINUE;
}

/* --- Orphans ---------------------------------------------------------------------------------- */

static gboolean
is_file_id (const char *name)
{
  if (strlen (name) != 24)
    return FALSE;
  for (const char *p = name; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_')
      return FALSE;
  return TRUE;
}

/* Store thread, once at start: the files on disk that no record names, left by a crash
 * between the removal of an upload's record and of its bytes. A file is written only after
 * its record exists, so nothing in the making is taken for one. */
static ConfabStoreReply *
orphans_work (ConfabStore  *store,
              gpointer      data,
              GError      **error)
{
  Args *args = data;
  JsonObject *result = json_object_new ();
  JsonArray *orphans = json_array_new ();
  g_autoptr(GDir) top = g_dir_open (args->dir, 0, NULL);
  const char *shard;

  while (top != NULL && (shard = g_dir_read_name (top)) != NULL)
    {
      g_autofree char *shard_path = g_build_filename (args->dir, shard, NULL);
      g_autoptr(GDir) inner = NULL;
      const char *name;

      if (strlen (shard) != 2)
        continue;
      inner = g_dir_open (shard_path, 0, NULL);
      while (inner != NULL && (name = g_dir_read_name (inner)) != NULL)
        {
          g_autoptr(ConfabFileRecord) record = NULL;

          /* Only names of the shape of a file id, in their own shard, are the server's. */
          if (!is_file_id (name) || strncmp (name, shard, 2) != 0)
            continue;
          record = FS (store)->get (FSELF (store), name);
          if (record == NULL)
            json_array_add_string_element (orphans, name);
        }
    }
  json_object_set_array_member (result, "orphans", orphans);
  return confab_store_reply_new (result);
}

static void
orphans_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Files *files = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(ConfabStoreReply) reply = confab_store_finish (CONFAB_STORE (source), result, &error);
  JsonArray *orphans;
  guint removed = 0;

  if (reply == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_warning ("files: the sweep of orphaned bytes failed: %s", error->message);
      return;
    }
  orphans = json_object_get_array_member (confab_store_reply_get_result (reply), "orphans");
  for (guint i = 0; i < json_array_get_length (orphans); i++)
    {
      const char *file_id = json_array_get_string_element (orphans, i);
      g_autofree char *path = path_for (files, file_id);

      if (g_hash_table_contains (files->uploads, file_id))
        continue;
      if (g_unlink (path) != 0 && errno != ENOENT)
        g_warning ("files: cannot remove %s: %s", path, g_strerror (errno));
      else
        removed++;
    }
  if (removed > 0)
    g_message ("files: removed the bytes of %u upload%s without a record", removed,
               removed == 1 ? "" : "s");
}

static gboolean
sweep_orphans (gpointer user_data)
{
  Files *files = user_data;
  Args *args = g_new0 (Args, 1);

  files->orphans_id = 0;
  args->dir = g_strdup (files->dir);
  run_work (files, "file_orphans", CONFAB_STORE_WORK_READ, orphans_work, args, orphans_cb,
            files);
  return G_SOURCE_REMOVE;
}

/* --- Registration ----------------------------------------------------------------------------- */

static void
describe_session (gpointer          instance,
                  ConfabConnection *connection,
                  JsonObject       *hello_result)
{
  Files *files = instance;
  JsonObject *server = json_object_get_object_member (hello_result, "server");
  JsonObject *limits = server != NULL ? json_object_get_object_member (server, "limits") : NULL;

  if (limits == NULL)
    return;
  json_object_set_int_member (limits, "file_quota_bytes",
                              (gint64) MIN (config_of (files)->file_quota_bytes,
                                            (guint64) G_MAXINT64));
  json_object_set_int_member (limits, "uploads_in_flight", config_of (files)->uploads_per_user);
}

static const ConfabHttpRoute routes[] = {
  { "OPTIONS", "/v1/files", handle_options },
  { "POST", "/v1/files", handle_create },
  { "OPTIONS", "/v1/files/", handle_options, CONFAB_HTTP_ROUTE_PREFIX },
  { "HEAD", "/v1/files/", handle_head, CONFAB_HTTP_ROUTE_PREFIX },
  { "PATCH", "/v1/files/", handle_patch, CONFAB_HTTP_ROUTE_PREFIX | CONFAB_HTTP_ROUTE_STREAM,
    patch_got_headers },
  { "DELETE", "/v1/files/", handle_delete, CONFAB_HTTP_ROUTE_PREFIX },
  { "GET", "/v1/files/", handle_get, CONFAB_HTTP_ROUTE_PREFIX },
  { NULL }
};

static const ConfabServerModule module = {
  .name = "files",
  .routes = routes,
  .describe_session = describe_session,
};

static void
files_free (gpointer data)
{
  Files *files = data;
  GHashTableIter iter;
  gpointer value;

  g_clear_handle_id (&files->sweep_id, g_source_remove);
  g_clear_handle_id (&files->orphans_id, g_source_remove);
  /* A PATCH still writing when the server stops: its writer finishes and stops first. */
  g_hash_table_iter_init (&iter, files->uploads);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Upload *upload = value;

      if (upload->sink != NULL)
        {
          confab_file_sink_abandon (upload->sink);
          g_clear_pointer (&upload->sink, confab_file_sink_unref);
        }
    }
  g_hash_table_unref (files->uploads);
  g_free (files->dir);
  g_free (files);
}

void
confab_files_register (ConfabServer *server)
{
  const ConfabConfig *config = confab_server_get_config (server);
  Files *files = g_new0 (Files, 1);
  guint every_s = CLAMP (config->upload_expiry_s / 4, 1, 60);

  files->server = server;
  files->dir = g_build_filename (config->data_dir, "files", NULL);
  files->uploads = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, upload_free);
  if (g_mkdir_with_parents (files->dir, 0700) != 0)
    g_warning ("files: cannot create %s: %s", files->dir, g_strerror (errno));
  files->sweep_id = g_timeout_add_seconds (every_s, sweep_expired, files);
  files->orphans_id = g_idle_add (sweep_orphans, files);
  confab_server_add_module (server, &module, files, files_free);
  confab_messages_set_attachments_func (confab_files_resolve_attachments);
  confab_profiles_set_avatar_func (confab_files_check_avatar);
}
