/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "confab-db.h"

G_BEGIN_DECLS

/*
 * ConfabDbWorker: the thread that owns a ConfabDb and runs jobs (GTasks) on it in batches,
 * one transaction per batch (group commit): every task of a batch completes, in order and in
 * its own main context, once the batch committed. A job that fails after writing makes the
 * batch run again with a savepoint per job, so that only that job is undone.
 *
 * What a job is belongs to the owner, through ConfabDbWorkerFuncs; they all run on the worker
 * thread. run and writes are required; every other hook may be NULL (no deferred jobs, nothing
 * kept in memory during a batch, no chores).
 */

typedef struct _ConfabDbWorkerFuncs ConfabDbWorkerFuncs;

struct _ConfabDbWorkerFuncs
{
  /* Runs @task's job inside the batch's transaction: its result, or NULL with @error set (or
   * with nothing set after a failure that the ConfabDb recorded). */
  gpointer (*run)           (gpointer   owner,
                             GTask     *task,
                             GError   **error);
  /* Whether @task's job writes; a reading one is not run once its task is cancelled. */
  gboolean (*writes)        (gpointer   owner,
                             GTask     *task);
  /* Whether @task's job needs no transaction of its own (say, run() keeps it for the next
   * one): it is run at once, outside savepoints, and never fails. */
  gboolean (*deferred)      (gpointer   owner,
                             GTask     *task);
  /* Whether jobs taken so far wait to be written: the next batch then writes. */
  gboolean (*has_deferred)  (gpointer   owner);
  /* A batch starts; a job starts (note what undo goes back to); a job failed (go back). */
  void     (*begin)         (gpointer   owner);
  void     (*mark)          (gpointer   owner);
  void     (*undo)          (gpointer   owner);
  /* After each job of a batch that runs with savepoints. */
  void     (*job_done)      (gpointer   owner);
  /* Before the commit: write what the jobs left in memory; @write: the transaction writes. */
  void     (*finish)        (gpointer   owner,
                             gboolean   write);
  /* The batch's transaction was rolled back: forget what it left in memory. */
  void     (*abandon)       (gpointer   owner);
  void     (*committed)     (gpointer   owner);
  /* After committed: how many jobs the batch had and how long its COMMIT took. */
  void     (*measured)      (gpointer   owner,
                             guint      jobs,
                             gint64     commit_us);
  /* Chores for quiet moments, in a writing transaction of their own when wanted; @stopping on
   * the way out. */
  gboolean (*want_chores)   (gpointer   owner,
                             gboolean   stopping);
  void     (*chores)        (gpointer   owner,
                             gboolean   stopping);
  GDestroyNotify free_result;
};

typedef struct _ConfabDbWorker ConfabDbWorker;

ConfabDbWorker *confab_db_worker_new  (ConfabDb                  *db,
                                       const char                *thread_name,
                                       const ConfabDbWorkerFuncs *funcs,
                                       gpointer                   owner);
/* Queues @task (the worker takes a reference); FALSE once the worker is stopping. */
gboolean        confab_db_worker_push (ConfabDbWorker            *self,
                                       GTask                     *task);
/* Runs what is queued, then the chores, and ends the thread. */
void            confab_db_worker_stop (ConfabDbWorker            *self);
void            confab_db_worker_free (ConfabDbWorker            *self);

G_END_DECLS
