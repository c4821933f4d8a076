/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "confab-store.h"

G_BEGIN_DECLS

/*
 * ConfabBackupStore: a consistent copy of everything the store keeps, made while it runs.
 *
 * Unlike the other interfaces, its function is not called from a unit of work: it runs on a
 * thread of its own for as long as the copy takes, reads through a connection of its own, and
 * the store's writers go on meanwhile.
 */

#define CONFAB_TYPE_BACKUP_STORE (confab_backup_store_get_type ())
G_DECLARE_INTERFACE (ConfabBackupStore, confab_backup_store, CONFAB, BACKUP_STORE, ConfabStore)

struct _ConfabBackupStoreInterface
{
  GTypeInterface parent_iface;

  /* Writes the data as of one moment into the new file @path, and returns the uploads that
   * copy names, [{file_id, bytes, complete}]: @bytes is how much of an upload had been
   * received then (all of a complete one). NULL with @error set, and no file at @path. */
  JsonArray *(*backup) (ConfabBackupStore  *self,
                        const char         *path,
                        GCancellable       *cancellable,
                        GError            **error);
};

G_END_DECLS
