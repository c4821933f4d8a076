/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-backup"

#include "config.h"

#include "confab-backup.h"
#include "confab-admin.h"
#include "confab-audit-store.h"
#include "confab-backup-store.h"
#include "confab-server-module.h"

#include <glib/gstdio.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
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

/* Removes what a failed backup left under @path: the backup's own files and directories. */
static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
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
      remove_tree (job->partial);
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

/* Store thread: the audit entry of a backup, made or failed. */
static ConfabStoreReply *
audit_work (ConfabStore  *store,
            gpointer      data,
            GError      **error)
{
  Pending *pending = data;

  CONFAB_AUDIT_STORE_GET_IFACE (store)->record (CONFAB_AUDIT_STORE (store), confab_now_ms (),
                                                pending->actor, "backup", pending->name,
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
  dir = config->backup_dir != NULL ? g_strdup (config->backup_dir)
        : g_build_filename (config->data_dir, "backups", NULL);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      g_autofree char *message = g_strdup_printf ("cannot create %s: %s", dir,
                                                  g_strerror (errno));

      confab_http_send_error (call->msg, CONFAB_PROTOCOL_ERROR_INTERNAL, message);
      confab_http_call_finish (call);
      return;
    }

  pending = g_new0 (Pending, 1);
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

/* --- Registration ---------------------------------------------------------------------------- */

static const ConfabHttpRoute routes[] = {
  { "POST", "/v1/admin/backup", handle_backup },
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
