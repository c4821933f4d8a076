/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "confab-store.h"

G_BEGIN_DECLS

typedef enum
{
  CONFAB_STORE_OP_EVENT_ADD,
  CONFAB_STORE_OP_EVENTS_SINCE,
  CONFAB_STORE_OP_ACK,
  /* A module's unit of work (confab_store_run_async). */
  CONFAB_STORE_OP_WORK,
  /* Implementation-specific operations start here. */
  CONFAB_STORE_OP_PRIVATE,
} ConfabStoreOpKind;

/* One operation, with copies of its parameters only: no GObject or JSON value is shared with
 * the caller, so an implementation may run it on any thread. Unused members stay 0/NULL. */
struct _ConfabStoreOp
{
  ConfabStoreOpKind    kind;

  char                *user;           /* events_since */
  char                *name;           /* event_add */
  char                *data;           /* JSON object text: event_add's data */
  char                *device_id;      /* ack */
  GStrv                users;

  gint64               since;
  gint64               seq;
  guint                limit;
  gboolean             flag;           /* work: writes */

  char                *work_name;
  ConfabStoreWorkFunc  work;
  gpointer             work_data;
  GDestroyNotify       work_data_free;
};

ConfabStoreOp *confab_store_op_new    (ConfabStoreOpKind  kind);
void           confab_store_op_free   (ConfabStoreOp     *op);
const char    *confab_store_op_name   (ConfabStoreOpKind  kind);
/* Wraps @op (taken) in a GTask tagged @source_tag and hands it to the implementation. */
void           confab_store_op_submit (ConfabStore         *self,
                                       ConfabStoreOp       *op,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data,
                                       gpointer             source_tag);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabStoreOp, confab_store_op_free)

G_END_DECLS
