/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-backup"

#include "config.h"

#include "confab-backup.h"
#include "confab-admin.h"
#include "confab-audit-store.h"
#include "confab-backup-store.h"
#include "confab-fs.h"
#include "confab-server-module.h"
#include "confab-tar.h"

#include <glib/gstdio.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Backups, for administrators. A backup is a directory <backup_dir>/<name> holding confab.db,
 * the database as of one moment (ConfabBackupStore, on a thread of its own while writers go
 * on), and files/, the uploads that copy names, laid out as in the data directory: complete
 * ones hard-linked (their bytes never change under their id; a copy where a link cannot be
 * made), unfinished ones copied up to what the database says was received.
 *
 * The request names nothing on the file system: backup_dir comes from confabd.conf (or is
 * <data_dir>/backups) and the name from the clock. The backup is made under <name>.partial and
 * renamed once whole, so a directory without the suffix is always a complete backup. One
 * backup runs at a time. */

#define PARTIAL_SUFFIX ".partial"
#define COPY_CHUNK     (256 * 1024)

typedef struct
{
  ConfabServer *server;         /* not owned: the server owns the module */
  GCancellable *cancellable;    /* cancelled when the server goes */
  gboolean      running;
} Backup;

/* What the backup thread works with: copies only. */
typedef struct
{
  ConfabStore *store;
  char        *files_dir;       /* the server's uploads */
  char        *partial;
  char        *final;
  guint64      size;            /* bytes of the database and the files */
  guint        n_files;
  guint        n_missing;       /* named by the database but gone from the disk */
} Job;

static void
job_free (gpointer data)
{
  Job *job = data;

  g_clear_object (&job->store);
  g_free (job->files_dir);
  g_free (job->partial);
  g_free (job->final);
  g_free (job);
}

/* --- The backup thread ------------------------------------------------------------------------ */

static gboolean
set_errno_error (GError     **error,
                 int          saved_errno,
                 const char  *what,
                 const char  *path)
{
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno), "%s %s: %s", what, path,
               g_strerror (saved_errno));
  return FALSE;
}

/* Copies the first @bytes of @source into the new file @dest and syncs it. */
static gboolean
copy_prefix (const char  *source,
             const char  *dest,
             guint64      bytes,
             GError     **error)
{
  g_autofree char *buffer = g_malloc (COPY_CHUNK);
  gboolean ok = FALSE;
  int in = -1;
  int out = -1;

  in = open (source, O_RDONLY | O_CLOEXEC);
  if (in < 0)
    return set_errno_error (error, errno, "cannot read", source);
  out = open (dest, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (out < 0)
    {
      set_errno_error (error, errno, "cannot create", dest);
      goto out;
    }
  while (bytes > 0)
    {
      ssize_t got = read (in, buffer, MIN (bytes, COPY_CHUNK));

      if (got < 0 && errno == EINTR)
        continue;
      if (got <= 0)
        {
          if (got == 0)
            g_set_error (error, G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT, "%s is shorter than "
                         "the database says", source);
          else
            set_errno_error (error, errno, "cannot read", source);
          goto out;
        }
      for (ssize_t done = 0; done < got;)
        {
          ssize_t put = write (out, buffer + done, got - done);

          if (put < 0 && errno == EINTR)
            continue;
          if (put < 0)
            {
              set_errno_error (error, errno, "cannot write", dest);
              goto out;
            }
          done += put;
        }
      bytes -= got;
    }
  if (fsync (out) != 0)
    {
      set_errno_error (error, errno, "cannot sync", dest);
      goto out;
    }
  ok = TRUE;

out:
  if (in >= 0)
    close (in);
  if (out >= 0 && close (out) != 0 && ok)
    ok = set_errno_error (error, errno, "cannot write", dest);
  return ok;
}

/* A file id as the files module makes them; anything else in the database is not followed. */
static gboolean
is_file_id (const char *file_id)
{
  if (file_id == NULL || strlen (file_id) < 3)
    return FALSE;
  for (const char *c = file_id; *c != '\0'; c++)
    if (!g_ascii_isalnum (*c) && *c != '-' && *c != '_')
      return FALSE;
  return TRUE;
}

static gboolean
copy_file (Job         *job,
           JsonObject  *file,
           GError     **error)
{
  const char *file_id = json_object_get_string_member (file, "file_id");
  gint64 bytes = json_object_get_int_member (file, "bytes");
  char shard[3] = { 0 };
  g_autofree char *source = NULL;
  g_autofree char *dest_dir = NULL;
  g_autofree char *dest = NULL;

  if (!is_file_id (file_id) || bytes < 0)
    {
      g_message ("backup: skipping a file record with the id '%s'", file_id);
      return TRUE;
    }
  memcpy (shard, file_id, 2);
  source = g_build_filename (job->files_dir, shard, file_id, NULL);
  dest_dir = g_build_filename (job->partial, "files", shard, NULL);
  dest = g_build_filename (dest_dir, file_id, NULL);
  if (!g_file_test (source, G_FILE_TEST_EXISTS))
    {
      /* Removed since the moment of the copy (its message was deleted). */
      g_message ("backup: file %s is gone", file_id);
      job->n_missing++;
      return TRUE;
    }
  if (g_mkdir_with_parents (dest_dir, 0700) != 0)
    return set_errno_error (error, errno, "cannot create", dest_dir);
  if (!json_object_get_boolean_member (file, "complete") || link (source, dest) != 0)
    {
      if (!copy_prefix (source, dest, bytes, error))
        return FALSE;
    }
  job->size += bytes;
  job->n_files++;
  return TRUE;
}

static gboolean
make_backup (Job           *job,
             GCancellable  *cancellable,
             GError       **error)
{
  ConfabBackupStore *store = CONFAB_BACKUP_STORE (job->store);
  g_autofree char *db_path = g_build_filename (job->partial, "confab.db", NULL);
  g_autoptr(JsonArray) files = NULL;
  GStatBuf st;

  if (g_mkdir (job->partial, 0700) != 0)
    return set_errno_error (error, errno, "cannot create", job->partial);
  files = CONFAB_BACKUP_STORE_GET_IFACE (store)->backup (store, db_path, cancellable, error);
  if (files == NULL)
    return FALSE;
  if (g_stat (db_path, &st) == 0)
    job->size += st.st_size;

  for (guint i = 0; i < json_array_get_length (files); i++)
    {
      if (g_cancellable_set_error_if_cancelled (cancellable, error)
          || !copy_file (job, json_array_get_object_element (files, i), error))
        return FALSE;
    }

  if (g_rename (job->partial, job->final) != 0)
    return set_errno_error (error, errno, "cannot rename", job->partial);
  return TRUE;
}

static void
backup_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  Job *job = task_data;
  GError *error = NULL;

  if (!make_backup (job, cancellable, &error))
    {
      confab_fs_remove_tree (job->partial);
      g_task_return_error (task, error);
      return;
    }
  g_task_return_boolean (task, TRUE);
}

/* --- The request ------------------------------------------------------------------------------ */

typedef struct
{
  Backup     *backup;
  JsonObject *result;     /* the answer, once the backup is made */
  char       *failure;    /* or why it was not */
  /* The audit entry. */
  const char *action;
  char       *actor;
  char       *address;
  char       *name;
  char       *details;
} Pending;

static void
pending_free (gpointer data)
{
  Pending *pending = data;

  g_clear_pointer (&pending->result, json_object_unref);
  g_free (pending->failure);
  g_free (pending->actor);
  g_free (pending->address);
  g_free (pending->name);
  g_free (pending->details);
  g_free (pending);
}

/* Store thread: the audit entry of a backup, made or failed, or of a download. */
static ConfabStoreReply *
audit_work (ConfabStore  *store,
            gpointer      data,
            GError      **error)
{
  Pending *pending = data;

  CONFAB_AUDIT_STORE_GET_IFACE (store)->record (CONFAB_AUDIT_STORE (store), confab_now_ms (),
                                                pending->actor, pending->action, pending->name,
                                                pending->details, pending->address);
  return confab_store_reply_new (NULL);
}

static void
audited_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  ConfabHttpCall *call = user_data;
  Pending *pending = call->data;
  g_autoptr(GError) error = NULL;
  g_autoptr(ConfabStoreReply) reply = confab_store_finish (CONFAB_STORE (source), result, &error);

  if (reply == NULL)
    confab_http_send_error (call->msg, CONFAB_PROTOCOL_ERROR_INTERNAL,
                            "the backup could not be audited");
  else if (pending->result != NULL)
    confab_http_send_json (call->msg, 201, pending->result);
  else
    confab_http_send_error (call->msg, CONFAB_PROTOCOL_ERROR_INTERNAL, pending->failure);
  confab_http_call_finish (call);
}

static void
backed_up_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  ConfabHttpCall *call = user_data;
  Pending *pending = call->data;
  Job *job = g_task_get_task_data (G_TASK (result));
  g_autoptr(JsonObject) details = json_object_new ();
  g_autoptr(GError) error = NULL;

  pending->backup->running = FALSE;
  if (g_task_propagate_boolean (G_TASK (result), &error))
    {
      JsonObject *answer = json_object_new ();

      json_object_set_string_member (answer, "name", pending->name);
      json_object_set_string_member (answer, "path", job->final);
      json_object_set_int_member (answer, "size", job->size);
      json_object_set_int_member (answer, "files", job->n_files);
      json_object_set_int_member (answer, "missing_files", job->n_missing);
      json_object_set_int_member (answer, "ts", confab_now_ms ());
      pending->result = answer;
      json_object_set_int_member (details, "size", job->size);
      json_object_set_int_member (details, "files", job->n_files);
      g_message ("administrator %s made the backup %s (%" G_GUINT64_FORMAT " bytes, %u files)",
                 call->username, job->final, job->size, job->n_files);
    }
  else
    {
      pending->failure = g_strdup_printf ("the backup failed: %s", error->message);
      json_object_set_string_member (details, "error", error->message);
      g_message ("the backup %s failed: %s", job->final, error->message);
    }
  pending->details = confab_json_object_to_string (details, NULL);
  confab_store_run_async (confab_server_get_store (call->server), "admin_backup_audit",
                          CONFAB_STORE_WORK_WRITE, audit_work, pending, NULL, NULL, audited_cb,
                          call, confab_backup_register);
}

/* [server] backup_dir, or <data_dir>/backups. */
static char *
backups_dir (ConfabServer *server)
{
  const ConfabConfig *config = confab_server_get_config (server);

  if (config->backup_dir != NULL)
    return g_strdup (config->backup_dir);
  return g_build_filename (config->data_dir, "backups", NULL);
}

/* A name for a new backup: the time in UTC, and a number if that is taken. */
static char *
new_name (const char *dir)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *stamp = g_date_time_format (now, "%Y%m%dT%H%M%SZ");

  for (guint n = 1;; n++)
    {
      g_autofree char *name = n == 1 ? g_strdup (stamp) : g_strdup_printf ("%s-%u", stamp, n);
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autofree char *partial = g_strconcat (path, PARTIAL_SUFFIX, NULL);

      if (!g_file_test (path, G_FILE_TEST_EXISTS) && !g_file_test (partial, G_FILE_TEST_EXISTS))
        return g_steal_pointer (&name);
    }
}

/* The body is empty or {}: a backup takes no parameter. */
static gboolean
read_body (ConfabHttpCall *call)
{
  g_autoptr(JsonObject) body = NULL;
  JsonObjectIter iter;
  const char *member;

  if (soup_server_message_get_request_body (call->msg)->length == 0)
    return TRUE;
  body = confab_http_read_json_body (call->msg);
  if (body == NULL)
    return FALSE;
  json_object_iter_init (&iter, body);
  if (json_object_iter_next (&iter, &member, NULL))
    {
      g_autofree char *message = g_strdup_printf ("unknown field: %s", member);

      confab_http_send_error (call->msg, CONFAB_PROTOCOL_ERROR_BAD_REQUEST, message);
      return FALSE;
    }
  return TRUE;
}

static void
backup_signed_in (ConfabHttpCall *call)
{
  Backup *backup = confab_server_get_module (call->server, "backup");
  const ConfabConfig *config = confab_server_get_config (call->server);
  g_autofree char *dir = NULL;
  g_autoptr(GTask) task = NULL;
  Pending *pending;
  Job *job;

  if (!read_body (call))
    {
      confab_http_call_finish (call);
      return;
    }
  if (backup->running)
    {
      confab_http_send_error (call->msg, CONFAB_PROTOCOL_ERROR_CONFLICT,
                              "a backup is being made");
      confab_http_call_finish (call);
      return;
    }
  dir = backups_dir (call->server);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      g_autofree char *message = g_strdup_printf ("cannot create %s: %s", dir,
                                                  g_strerror (errno));

      confab_http_send_error (call->msg, CONFAB_PROTOCOL_ERROR_INTERNAL, message);
      confab_http_call_finish (call);
      return;
    }

  pending = g_new0 (Pending, 1);
  pending->action = "backup";
  pending->backup = backup;
  pending->actor = g_strdup (call->username);
  pending->address = g_strdup (call->address);
  pending->name = new_name (dir);
  call->data = pending;
  call->data_free = pending_free;

  job = g_new0 (Job, 1);
  job->store = g_object_ref (confab_server_get_store (call->server));
  job->files_dir = g_build_filename (config->data_dir, "files", NULL);
  job->final = g_build_filename (dir, pending->name, NULL);
  job->partial = g_strconcat (job->final, PARTIAL_SUFFIX, NULL);

  backup->running = TRUE;
  task = g_task_new (NULL, backup->cancellable, backed_up_cb, call);
  g_task_set_source_tag (task, backup_signed_in);
  g_task_set_task_data (task, job, job_free);
  g_task_run_in_thread (task, backup_thread);
}

static void
handle_backup (gpointer           instance,
               SoupServerMessage *msg)
{
  Backup *backup = instance;

  confab_admin_call_start (backup->server, msg, backup_signed_in);
}

/* --- GET /v1/admin/backups/<name>: the backup as a tar archive ------------------------------- *
 *
 * The archive is made of the files themselves between their headers: nothing is copied or
 * written first. Its length is known from the start (Content-Length); each file is mapped into
 * memory when its turn comes, a few pieces ahead of what libsoup has sent, and let go once sent,
 * so that a backup of any number of files holds a handful of mappings at a time. */

#define BACKUPS_PREFIX "/v1/admin/backups/"
#define PIECES_AHEAD   6

typedef struct
{
  char    *path;
  char    *member;      /* <name>/<path below the backup> */
  guint64  size;
  gint64   mtime;
} Member;

static void
member_free (gpointer data)
{
  Member *member = data;

  g_free (member->path);
  g_free (member->member);
  g_free (member);
}

/* A download under way; the message's data. */
typedef struct
{
  SoupServerMessage *msg;       /* not owned */
  GPtrArray         *members;
  guint              next;      /* the next member to append; members->len: the end blocks */
  guint              queued;    /* pieces appended and not sent yet */
} Sending;

static void
sending_free (gpointer data)
{
  Sending *sending = data;

  g_ptr_array_unref (sending->members);
  g_free (sending);
}

/* A name as new_name () makes them, and nothing else: no path of a request reaches further. */
static gboolean
is_backup_name (const char *name)
{
  const char *c = name;

  for (guint i = 0; i < 15; i++, c++)
    if (i == 8 ? *c != 'T' : !g_ascii_isdigit (*c))
      return FALSE;
  if (*c++ != 'Z')
    return FALSE;
  if (*c == '\0')
    return TRUE;
  if (*c++ != '-' || *c == '\0')
    return FALSE;
  for (; *c != '\0'; c++)
    if (!g_ascii_isdigit (*c))
      return FALSE;
  return TRUE;
}

static gint
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(char * const *) a, *(char * const *) b);
}

/* The regular files under @relative of the backup directory @root, in a stable order, as
 * members named <@prefix>/<path below @root>; adds the archive's length of each to @length.
 * FALSE if the directory cannot be read. */
static gboolean
list_tree (const char  *root,
           const char  *relative,
           const char  *prefix,
           GPtrArray   *members,
           guint64     *length)
{
  g_autofree char *dir_path = g_build_filename (root, relative, NULL);
  g_autoptr(GDir) dir = g_dir_open (dir_path, 0, NULL);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  if (dir == NULL)
    return FALSE;
  while ((name = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);

  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *child = g_build_filename (relative, g_ptr_array_index (names, i), NULL);
      g_autofree char *path = g_build_filename (root, child, NULL);
      g_autoptr(GBytes) padding = NULL;
      Member *member;
      GStatBuf st;

      if (g_lstat (path, &st) != 0)
        return FALSE;
      if (S_ISDIR (st.st_mode))
        {
          if (!list_tree (root, child, prefix, members, length))
            return FALSE;
          continue;
        }
      if (!S_ISREG (st.st_mode))
        continue;
      member = g_new0 (Member, 1);
      member->path = g_steal_pointer (&path);
      member->member = g_strconcat (prefix, "/", child, NULL);
      g_ptr_array_add (members, member);
      /* ustar's names: the backup's own are far shorter. */
      if (strlen (member->member) >= 100)
        return FALSE;
      member->size = st.st_size;
      member->mtime = st.st_mtime;
      padding = confab_tar_padding (member->size);
      *length += 512 + member->size + g_bytes_get_size (padding);
    }
  return TRUE;
}

static void
append_piece (Sending *sending,
              GBytes  *piece)
{
  /* libsoup takes no empty piece. */
  if (g_bytes_get_size (piece) == 0)
    return;
  soup_message_body_append_bytes (soup_server_message_get_response_body (sending->msg), piece);
  sending->queued++;
}

/* Appends the next member, mapped; FALSE if it is no longer what was announced. */
static gboolean
append_member (Sending *sending,
               Member  *member)
{
  g_autoptr(GMappedFile) mapped = NULL;
  g_autoptr(GBytes) header = NULL;
  g_autoptr(GBytes) contents = NULL;
  g_autoptr(GBytes) padding = NULL;
  g_autoptr(GError) error = NULL;

  mapped = g_mapped_file_new (member->path, FALSE, &error);
  if (mapped == NULL)
    {
      g_message ("cannot send %s: %s", member->path, error->message);
      return FALSE;
    }
  contents = g_mapped_file_get_bytes (mapped);
  if (g_bytes_get_size (contents) != member->size)
    {
      g_message ("cannot send %s: it changed while it was being sent", member->path);
      return FALSE;
    }
  header = confab_tar_file_header (member->member, member->size, member->mtime);
  padding = confab_tar_padding (member->size);
  append_piece (sending, header);
  append_piece (sending, contents);
  append_piece (sending, padding);
  return TRUE;
}

/* Keeps PIECES_AHEAD pieces waiting to be sent, until the end of the archive. */
static void
fill (Sending *sending)
{
  while (sending->queued < PIECES_AHEAD && sending->next <= sending->members->len)
    {
      if (sending->next == sending->members->len)
        {
          g_autoptr(GBytes) end = confab_tar_end ();

          append_piece (sending, end);
          sending->next++;
          break;
        }
      if (!append_member (sending, g_ptr_array_index (sending->members, sending->next++)))
        {
          /* The length was promised: all the client can be told is a cut connection. */
          g_autoptr(GIOStream) stream = soup_server_message_steal_connection (sending->msg);

          g_io_stream_close (stream, NULL, NULL);
          return;
        }
    }
}

static void
on_wrote_chunk (SoupServerMessage *msg,
                gpointer           user_data)
{
  Sending *sending = user_data;

  sending->queued--;
  fill (sending);
}

static void
download_audited_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  ConfabHttpCall *call = user_data;
  Pending *pending = call->data;
  g_autoptr(GError) error = NULL;
  g_autoptr(ConfabStoreReply) reply = confab_store_finish (CONFAB_STORE (source), result, &error);
  g_autofree char *dir = backups_dir (call->server);
  g_autofree char *root = g_build_filename (dir, pending->name, NULL);
  g_autofree char *disposition = NULL;
  SoupMessageHeaders *headers;
  Sending *sending;
  guint64 length = 0;

  if (reply == NULL)
    {
      confab_http_send_error (call->msg, CONFAB_PROTOCOL_ERROR_INTERNAL,
                              "the download could not be audited");
      confab_http_call_finish (call);
      return;
    }
  sending = g_new0 (Sending, 1);
  sending->msg = call->msg;
  sending->members = g_ptr_array_new_with_free_func (member_free);
  if (!list_tree (root, "", pending->name, sending->members, &length))
    {
      sending_free (sending);
      confab_http_send_error (call->msg, CONFAB_PROTOCOL_ERROR_INTERNAL,
                              "the backup could not be read");
      confab_http_call_finish (call);
      return;
    }
  length += 2 * 512;

  headers = soup_server_message_get_response_headers (call->msg);
  disposition = g_strdup_printf ("attachment; filename=\"%s.tar\"", pending->name);
  soup_message_headers_replace (headers, "Content-Type", "application/x-tar");
  soup_message_headers_replace (headers, "Content-Disposition", disposition);
  soup_message_headers_set_content_length (headers, length);
  soup_message_body_set_accumulate (soup_server_message_get_response_body (call->msg), FALSE);
  g_object_set_data_full (G_OBJECT (call->msg), "confab-backup-sending", sending, sending_free);
  g_signal_connect (call->msg, "wrote-chunk", G_CALLBACK (on_wrote_chunk), sending);
  soup_server_message_set_status (call->msg, 200, NULL);
  g_message ("administrator %s downloads the backup %s (%u files, %" G_GUINT64_FORMAT
             " bytes of archive)", call->username, pending->name, sending->members->len, length);
  fill (sending);
  confab_http_call_finish (call);
}

static void
download_signed_in (ConfabHttpCall *call)
{
  const char *name = g_uri_get_path (soup_server_message_get_uri (call->msg))
                     + strlen (BACKUPS_PREFIX);
  g_autofree char *dir = backups_dir (call->server);
  g_autofree char *root = NULL;
  Pending *pending;

  if (!is_backup_name (name))
    {
      confab_http_send_error (call->msg, CONFAB_PROTOCOL_ERROR_NOT_FOUND, "no such backup");
      confab_http_call_finish (call);
      return;
    }
  root = g_build_filename (dir, name, NULL);
  if (!g_file_test (root, G_FILE_TEST_IS_DIR))
    {
      confab_http_send_error (call->msg, CONFAB_PROTOCOL_ERROR_NOT_FOUND, "no such backup");
      confab_http_call_finish (call);
      return;
    }

  pending = g_new0 (Pending, 1);
  pending->action = "backup_download";
  pending->actor = g_strdup (call->username);
  pending->address = g_strdup (call->address);
  pending->name = g_strdup (name);
  call->data = pending;
  call->data_free = pending_free;
  /* Who took a copy of every message of the office is worth a line of its own. */
  confab_store_run_async (confab_server_get_store (call->server), "admin_backup_download_audit",
                          CONFAB_STORE_WORK_WRITE, audit_work, pending, NULL, NULL,
                          download_audited_cb, call, confab_backup_register);
}

static void
handle_download (gpointer           instance,
                 SoupServerMessage *msg)
{
  Backup *backup = instance;

  confab_admin_call_start (backup->server, msg, download_signed_in);
}

/* --- Registration ---------------------------------------------------------------------------- */

static const ConfabHttpRoute routes[] = {
  { "POST", "/v1/admin/backup", handle_backup },
  { "GET", BACKUPS_PREFIX, handle_download, CONFAB_HTTP_ROUTE_PREFIX },
  { NULL }
};

static const ConfabServerModule module = {
  .name = "backup",
  .routes = routes,
};

static void
backup_free (gpointer data)
{
  Backup *backup = data;

  g_cancellable_cancel (backup->cancellable);
  g_object_unref (backup->cancellable);
  g_free (backup);
}

void
confab_backup_register (ConfabServer *server)
{
  Backup *backup = g_new0 (Backup, 1);

  backup->server = server;
  backup->cancellable = g_cancellable_new ();
  confab_server_add_module (server, &module, backup, backup_free);
}
