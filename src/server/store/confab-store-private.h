/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "confab-store.h"

G_BEGIN_DECLS

typedef enum
{
  CONFAB_STORE_OP_USER_CREATE,
  CONFAB_STORE_OP_CREDENTIALS_GET,
  CONFAB_STORE_OP_DEVICE_CREATE,
  CONFAB_STORE_OP_SESSION_LOOKUP,
  CONFAB_STORE_OP_DEVICES_LIST,
  CONFAB_STORE_OP_DEVICE_REVOKE,
  CONFAB_STORE_OP_PASSWORD_SET,
  CONFAB_STORE_OP_PROFILE_GET,
  CONFAB_STORE_OP_PROFILE_UPDATE,
  CONFAB_STORE_OP_PEERS,
  CONFAB_STORE_OP_LAST_SEEN_GET,
  CONFAB_STORE_OP_LAST_SEEN_SET,
  CONFAB_STORE_OP_BLOCK_SET,
  CONFAB_STORE_OP_EVENT_ADD,
  CONFAB_STORE_OP_EVENTS_SINCE,
  CONFAB_STORE_OP_ACK,
  /* A module's unit of work (confab_store_run_async). */
  CONFAB_STORE_OP_WORK,
  /* Implementation-specific operations start here. */
  CONFAB_STORE_OP_PRIVATE,
} ConfabStoreOpKind;

/* The profile fields of profile_update, in this order. */
typedef enum
{
  CONFAB_PROFILE_DISPLAY_NAME,
  CONFAB_PROFILE_EMAIL,
  CONFAB_PROFILE_PHONE,
  CONFAB_PROFILE_DEPARTMENT,
  CONFAB_PROFILE_TITLE,
  CONFAB_PROFILE_LOCATION,
  CONFAB_PROFILE_AVATAR_FILE_ID,
  CONFAB_N_PROFILE_FIELDS,
} ConfabProfileField;

extern const char * const confab_profile_field_names[CONFAB_N_PROFILE_FIELDS];

/* One operation, with copies of its parameters only: no GObject or JSON value is shared with
 * the caller, so an implementation may run it on any thread. Unused members stay 0/NULL. */
struct _ConfabStoreOp
{
  ConfabStoreOpKind    kind;

  char                *user;           /* the acting user: username, sender, caller */
  char                *target;         /* another user: block_set */
  char                *name;           /* event_add */
  char                *data;           /* JSON object text: event_add's data */
  char                *device_id;      /* device_revoke, ack; current/keep device elsewhere */
  char                *device_name;
  char                *token_hash;
  char                *password_hash;
  char                *display_name;
  char                *email;
  char                *profile[CONFAB_N_PROFILE_FIELDS]; /* NULL: unchanged, "": cleared */
  GStrv                users;

  gint64               since;
  gint64               seq;
  gint64               ts;
  guint                limit;
  gboolean             flag;           /* block_set: blocked; work: writes */

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
