/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "confab-store.h"

G_BEGIN_DECLS

/* What a backend is handed: a unit of work, or an ack (@func NULL), which a backend may keep
 * and write with a later transaction. @data is used on the store thread only. */
struct _ConfabStoreWork
{
  char                 *name;
  ConfabStoreWorkFlags  flags;
  ConfabStoreWorkFunc   func;
  gpointer              data;
  GDestroyNotify        data_free;

  char                 *device_id;
  gint64                seq;
};

ConfabStoreWork *confab_store_work_new    (const char           *name,
                                           ConfabStoreWorkFlags  flags,
                                           ConfabStoreWorkFunc   func,
                                           gpointer              data,
                                           GDestroyNotify        data_free);
void             confab_store_work_free   (ConfabStoreWork      *work);
/* Wraps @work (taken) in a GTask tagged @source_tag and hands it to the implementation. */
void             confab_store_work_submit (ConfabStore          *self,
                                           ConfabStoreWork      *work,
                                           GCancellable         *cancellable,
                                           GAsyncReadyCallback   callback,
                                           gpointer              user_data,
                                           gpointer              source_tag);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabStoreWork, confab_store_work_free)

G_END_DECLS
