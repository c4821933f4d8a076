/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-file-store"

#include "config.h"

#include "confab-file-store.h"

G_DEFINE_INTERFACE (ConfabFileStore, confab_file_store, CONFAB_TYPE_STORE)

ConfabFileRecord *
confab_file_record_copy (const ConfabFileRecord *record)
{
  ConfabFileRecord *copy = g_new (ConfabFileRecord, 1);

  *copy = *record;
  copy->file_id = g_strdup (record->file_id);
  copy->owner = g_strdup (record->owner);
  copy->name = g_strdup (record->name);
  copy->mime = g_strdup (record->mime);
  copy->metadata = g_strdup (record->metadata);
  copy->sha256 = g_strdup (record->sha256);
  copy->thumbnail_file_id = g_strdup (record->thumbnail_file_id);
  return copy;
}

void
confab_file_record_free (ConfabFileRecord *record)
{
  if (record == NULL)
    return;
  g_free (record->file_id);
  g_free (record->owner);
  g_free (record->name);
  g_free (record->mime);
  g_free (record->metadata);
  g_free (record->sha256);
  g_free (record->thumbnail_file_id);
  g_free (record);
}

static void
confab_file_store_default_init (ConfabFileStoreInterface *iface)
{
}
