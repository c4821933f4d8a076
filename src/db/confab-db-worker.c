/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-db-worker"

#include "config.h"

#include "confab-db-worker.h"
#include "confab-error.h"

/* Jobs the worker takes at once into one transaction. */
#define MAX_BATCH          512
/* How long the worker waits for work before it does its chores. */
#define IDLE_TIMEOUT_USEC  (G_USEC_PER_SEC / 2)

struct _ConfabDbWorker
{
  ConfabDb                  *db;
  const ConfabDbWorkerFuncs *funcs;
  gpointer                   owner;
  GThread                   *thread;
  GAsyncQueue               *queue;    /* of GTask; stopping is guarded by its lock */
  gboolean                   stopping;
  gint64                     commit_us; /* worker thread: the last batch's COMMIT */
};

typedef struct
{
  GTask          *task;
  gpointer        result;
  GDestroyNotify  free_result;
  GError         *error;
} Outcome;

/* Every hook but run and writes is optional. */
#define HOOK(self, name, ...)                                   \
  G_STMT_START                                                  \
  {                                                             \
    if ((self)->funcs->name != NULL)                            \
      (self)->funcs->name ((self)->owner, ##__VA_ARGS__);       \
  }                                                             \
  G_STMT_END

static gboolean
is_deferred (ConfabDbWorker *self,
             GTask          *task)
{
  return self->funcs->deferred != NULL && self->funcs->deferred (self->owner, task);
}

/* Pushed last into the queue by stop (). */
static int stop_marker;

static void
set_storage_failure (GError **error)
{
  if (error != NULL && *error == NULL)
    g_set_error_literal (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_INTERNAL,
                         "storage failure");
}

static void
take_failure (ConfabDbWorker  *self,
              const char      *what,
              GError         **error)
{
  if (!confab_db_take_failure (self->db, what))
    g_warning ("%s: SQLite: ?", what);
  set_storage_failure (error);
}

static void
outcome_clear_result (Outcome *outcome)
{
  if (outcome->result != NULL && outcome->free_result != NULL)
    outcome->free_result (outcome->result);
  outcome->result = NULL;
}

static void
outcome_clear (gpointer data)
{
  Outcome *outcome = data;

  g_clear_object (&outcome->task);
  outcome_clear_result (outcome);
  g_clear_error (&outcome->error);
}

/* --- Delivery ------------------------------------------------------------------------------- */

static gboolean
deliver_cb (gpointer user_data)
{
  GArray *outcomes = user_data;

  for (guint i = 0; i < outcomes->len; i++)
    {
      Outcome *outcome = &g_array_index (outcomes, Outcome, i);

      if (outcome->error != NULL)
        g_task_return_error (outcome->task, g_steal_pointer (&outcome->error));
      else
        g_task_return_pointer (outcome->task, g_steal_pointer (&outcome->result),
                               outcome->free_result);
      g_clear_object (&outcome->task);
    }
  return G_SOURCE_REMOVE;
}

/* Completes the tasks in order, each in its own main context, one idle source per context. */
static void
deliver (GArray *outcomes)
{
  g_autoptr(GPtrArray) contexts = g_ptr_array_new ();
  g_autoptr(GPtrArray) groups = g_ptr_array_new ();

  for (guint i = 0; i < outcomes->len; i++)
    {
      Outcome *outcome = &g_array_index (outcomes, Outcome, i);
      GMainContext *context = g_task_get_context (outcome->task);
      GArray *group = NULL;

      for (guint j = 0; j < contexts->len && group == NULL; j++)
        if (g_ptr_array_index (contexts, j) == context)
          group = g_ptr_array_index (groups, j);
      if (group == NULL)
        {
          group = g_array_sized_new (FALSE, TRUE, sizeof (Outcome), outcomes->len);
          g_array_set_clear_func (group, outcome_clear);
          g_ptr_array_add (contexts, context);
          g_ptr_array_add (groups, group);
        }
      g_array_append_vals (group, outcome, 1);
    }
  /* The groups own the outcomes now. */
  g_array_set_clear_func (outcomes, NULL);

  for (guint j = 0; j < groups->len; j++)
    {
      GSource *source = g_idle_source_new ();

      g_source_set_priority (source, G_PRIORITY_DEFAULT);
      g_source_set_static_name (source, "[confab] store completion");
      g_source_set_callback (source, deliver_cb, g_ptr_array_index (groups, j),
                             (GDestroyNotify) g_array_unref);
      g_source_attach (source, g_ptr_array_index (contexts, j));
      g_source_unref (source);
    }
}

/* --- Batches -------------------------------------------------------------------------------- */

typedef enum
{
  BATCH_COMMITTED,
  BATCH_REDO,
  BATCH_FAILED,
} BatchStatus;

/* Runs the batch in one transaction. Without @isolate, jobs run back to back: one that fails
 * before writing anything (the usual way to fail) needs no undo. If one fails after it wrote,
 * the batch is rolled back and BATCH_REDO asks for a run with @isolate, where every job has a
 * savepoint of its own, which costs more. */
static BatchStatus
try_batch (ConfabDbWorker *self,
           GArray         *outcomes,
           gboolean        write,
           gboolean        isolate)
{
  const ConfabDbWorkerFuncs *funcs = self->funcs;

  if (!confab_db_begin (self->db, write))
    return BATCH_FAILED;

  for (guint i = 0; i < outcomes->len; i++)
    {
      Outcome *outcome = &g_array_index (outcomes, Outcome, i);
      GCancellable *cancellable = g_task_get_cancellable (outcome->task);
      gint64 changes_mark = confab_db_total_changes (self->db);

      if (is_deferred (self, outcome->task))
        {
          outcome->result = funcs->run (self->owner, outcome->task, &outcome->error);
          continue;
        }
      if (!funcs->writes (self->owner, outcome->task)
          && g_cancellable_set_error_if_cancelled (cancellable, &outcome->error))
        continue;

      if (isolate && !confab_db_exec (self->db, "SAVEPOINT job"))
        {
          take_failure (self, "savepoint", NULL);
          confab_db_rollback (self->db);
          return BATCH_FAILED;
        }

      HOOK (self, mark);
      outcome->result = funcs->run (self->owner, outcome->task, &outcome->error);
      if (outcome->result == NULL && outcome->error == NULL
          && confab_db_failed (self->db) == NULL)
        set_storage_failure (&outcome->error);
      if (isolate)
        HOOK (self, job_done);

      if (!isolate)
        {
          if (confab_db_failed (self->db) != NULL
              || (outcome->error != NULL
                  && confab_db_total_changes (self->db) != changes_mark))
            {
              confab_db_rollback (self->db);
              return BATCH_REDO;
            }
          if (outcome->error != NULL)
            {
              outcome_clear_result (outcome);
              HOOK (self, undo);
            }
          continue;
        }

      if (confab_db_failed (self->db) != NULL)
        {
          outcome_clear_result (outcome);
          g_clear_error (&outcome->error);
          take_failure (self, g_task_get_name (outcome->task), &outcome->error);
        }
      if (outcome->error != NULL)
        {
          outcome_clear_result (outcome);
          HOOK (self, undo);
          confab_db_reset_statements (self->db);
          if (!confab_db_exec (self->db, "ROLLBACK TO job"))
            {
              take_failure (self, "rollback to savepoint", NULL);
              confab_db_rollback (self->db);
              return BATCH_FAILED;
            }
        }
      if (!confab_db_exec (self->db, "RELEASE job") || !confab_db_in_transaction (self->db))
        {
          /* An I/O error or a full disk can end the whole transaction. */
          take_failure (self, "release savepoint", NULL);
          confab_db_rollback (self->db);
          return BATCH_FAILED;
        }
    }

  HOOK (self, finish, write);
  if (confab_db_failed (self->db) != NULL)
    {
      take_failure (self, "batch", NULL);
      confab_db_rollback (self->db);
      return BATCH_FAILED;
    }
  self->commit_us = g_get_monotonic_time ();
  if (!confab_db_commit (self->db))
    return BATCH_FAILED;
  self->commit_us = g_get_monotonic_time () - self->commit_us;
  return BATCH_COMMITTED;
}

static void
run_batch (ConfabDbWorker *self,
           GPtrArray      *tasks)
{
  const ConfabDbWorkerFuncs *funcs = self->funcs;
  g_autoptr(GArray) outcomes = g_array_sized_new (FALSE, TRUE, sizeof (Outcome), tasks->len);
  BatchStatus status = BATCH_COMMITTED;
  gboolean any_sql = FALSE;
  gboolean write = funcs->has_deferred != NULL && funcs->has_deferred (self->owner);
  gint64 start = g_get_monotonic_time ();

  g_array_set_clear_func (outcomes, outcome_clear);
  g_array_set_size (outcomes, tasks->len);

  for (guint i = 0; i < tasks->len; i++)
    {
      Outcome *outcome = &g_array_index (outcomes, Outcome, i);

      /* The queue's reference moves to the outcome. */
      outcome->task = g_ptr_array_index (tasks, i);
      outcome->free_result = funcs->free_result;
    }

  for (guint i = 0; i < tasks->len; i++)
    {
      GTask *task = g_ptr_array_index (tasks, i);

      if (!is_deferred (self, task))
        any_sql = TRUE;
      write |= funcs->writes (self->owner, task);
    }

  if (!any_sql)
    {
      /* Jobs that need no transaction are not worth one: they wait for the next. */
      for (guint i = 0; i < outcomes->len; i++)
        {
          Outcome *outcome = &g_array_index (outcomes, Outcome, i);

          outcome->result = funcs->run (self->owner, outcome->task, &outcome->error);
        }
      deliver (outcomes);
      return;
    }

  HOOK (self, begin);
  for (guint attempt = 0; attempt < 2; attempt++)
    {
      status = try_batch (self, outcomes, write, attempt > 0);
      if (status == BATCH_COMMITTED)
        break;

      HOOK (self, abandon);
      for (guint i = 0; i < outcomes->len; i++)
        {
          Outcome *outcome = &g_array_index (outcomes, Outcome, i);

          outcome_clear_result (outcome);
          g_clear_error (&outcome->error);
        }
      if (status == BATCH_FAILED)
        break;
      g_debug ("batch of %u: a job failed after writing; again with savepoints", tasks->len);
    }

  if (status == BATCH_COMMITTED)
    {
      HOOK (self, committed);
      HOOK (self, measured, tasks->len, self->commit_us);
    }
  else
    for (guint i = 0; i < outcomes->len; i++)
      set_storage_failure (&g_array_index (outcomes, Outcome, i).error);

  g_debug ("batch of %u: %s in %.2f ms", tasks->len,
           status == BATCH_COMMITTED ? "committed" : "failed",
           (g_get_monotonic_time () - start) / 1000.0);
  deliver (outcomes);
}

static void
chores (ConfabDbWorker *self,
        gboolean        stopping)
{
  if (self->funcs->want_chores == NULL || !self->funcs->want_chores (self->owner, stopping))
    return;
  if (!confab_db_begin (self->db, TRUE))
    return;
  self->funcs->chores (self->owner, stopping);
  if (confab_db_failed (self->db) != NULL)
    {
      take_failure (self, "housekeeping", NULL);
      confab_db_rollback (self->db);
      return;
    }
  confab_db_commit (self->db);
}

static gpointer
worker_thread (gpointer data)
{
  ConfabDbWorker *self = data;
  g_autoptr(GPtrArray) batch = g_ptr_array_new ();
  gboolean stop = FALSE;

  confab_db_attach_thread (self->db);
  while (!stop)
    {
      gpointer item = g_async_queue_timeout_pop (self->queue, IDLE_TIMEOUT_USEC);

      if (item == NULL)
        {
          chores (self, FALSE);
          continue;
        }

      g_ptr_array_set_size (batch, 0);
      while (item != NULL)
        {
          if (item == &stop_marker)
            {
              stop = TRUE;
              break;
            }
          g_ptr_array_add (batch, item);
          if (batch->len >= MAX_BATCH)
            break;
          item = g_async_queue_try_pop (self->queue);
        }
      if (batch->len > 0)
        run_batch (self, batch);
    }

  chores (self, TRUE);
  confab_db_detach_thread (self->db);
  return NULL;
}

/* --- Public API ----------------------------------------------------------------------------- */

ConfabDbWorker *
confab_db_worker_new (ConfabDb                  *db,
                      const char                *thread_name,
                      const ConfabDbWorkerFuncs *funcs,
                      gpointer                   owner)
{
  ConfabDbWorker *self;

  g_return_val_if_fail (db != NULL, NULL);
  g_return_val_if_fail (funcs != NULL, NULL);

  self = g_new0 (ConfabDbWorker, 1);
  self->db = db;
  self->funcs = funcs;
  self->owner = owner;
  self->queue = g_async_queue_new ();
  self->thread = g_thread_new (thread_name, worker_thread, self);
  return self;
}

gboolean
confab_db_worker_push (ConfabDbWorker *self,
                       GTask          *task)
{
  g_async_queue_lock (self->queue);
  if (self->stopping)
    {
      g_async_queue_unlock (self->queue);
      return FALSE;
    }
  g_async_queue_push_unlocked (self->queue, g_object_ref (task));
  g_async_queue_unlock (self->queue);
  return TRUE;
}

void
confab_db_worker_stop (ConfabDbWorker *self)
{
  g_async_queue_lock (self->queue);
  if (self->stopping)
    {
      g_async_queue_unlock (self->queue);
      return;
    }
  self->stopping = TRUE;
  g_async_queue_push_unlocked (self->queue, &stop_marker);
  g_async_queue_unlock (self->queue);

  g_thread_join (g_steal_pointer (&self->thread));
}

void
confab_db_worker_free (ConfabDbWorker *self)
{
  if (self == NULL)
    return;
  confab_db_worker_stop (self);
  g_async_queue_unref (self->queue);
  g_free (self);
}
