/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "confab-store.h"

G_BEGIN_DECLS

/*
 * ConfabFileStore: what confabd keeps of files: one row per upload (who made it, its name,
 * type, length, how many of its bytes are safely on disk, its SHA-256 once complete), and
 * which messages refer to it. The bytes themselves are files under <data-dir>/files/, kept
 * by the files module. Data access only; the files module holds the rules and calls these
 * from a unit of work on the store thread.
 */

typedef struct
{
  char   *file_id;
  char   *owner;
  char   *name;
  char   *mime;
  char   *metadata;           /* the Upload-Metadata it was created with */
  char   *sha256;             /* lower-case hex; NULL while unfinished */
  char   *thumbnail_file_id;  /* NULL: none */
  gint64  size;
  gint64  offset;             /* bytes on disk, synced */
  gint64  created_ts;
  gint64  expires_ts;         /* unfinished only; 0 once complete */
  gint    width;              /* 0: not given */
  gint    height;
} ConfabFileRecord;

ConfabFileRecord *confab_file_record_copy (const ConfabFileRecord *record);
void              confab_file_record_free (ConfabFileRecord       *record);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabFileRecord, confab_file_record_free)

#define CONFAB_TYPE_FILE_STORE (confab_file_store_get_type ())
G_DECLARE_INTERFACE (ConfabFileStore, confab_file_store, CONFAB, FILE_STORE, ConfabStore)

struct _ConfabFileStoreInterface
{
  GTypeInterface parent_iface;

  /* Adds an unfinished upload (offset 0, no sha256). */
  void              (*create)      (ConfabFileStore        *self,
                                    const ConfabFileRecord *record);
  /* NULL if there is no such file. */
  ConfabFileRecord *(*get)         (ConfabFileStore        *self,
                                    const char             *file_id);
  /* Moves the synced offset forward (never back) and the expiry of an unfinished upload. */
  void              (*set_offset)  (ConfabFileStore        *self,
                                    const char             *file_id,
                                    gint64                  offset,
                                    gint64                  expires_ts);
  /* The upload is whole: its SHA-256, and no expiry any more. */
  void              (*complete)    (ConfabFileStore        *self,
                                    const char             *file_id,
                                    const char             *sha256);
  void              (*remove)      (ConfabFileStore        *self,
                                    const char             *file_id);
  /* Bytes of all of @owner's files (unfinished ones at their full length) and the number of
   * unfinished ones. */
  void              (*usage)       (ConfabFileStore        *self,
                                    const char             *owner,
                                    gint64                 *bytes,
                                    guint                  *unfinished);
  /* Unfinished uploads whose expiry is at or before @now_ms, at most @limit. */
  GStrv             (*expired)     (ConfabFileStore        *self,
                                    gint64                  now_ms,
                                    guint                   limit);
  /* Records that message (@sender, @client_msg_id) of @conv refers to the file. */
  void              (*add_ref)     (ConfabFileStore        *self,
                                    const char             *file_id,
                                    const char             *conv,
                                    const char             *sender,
                                    const char             *client_msg_id);
  /* Whether a message that is not deleted refers to the file in a conversation @user takes
   * part in. */
  gboolean          (*shared_with) (ConfabFileStore        *self,
                                    const char             *file_id,
                                    const char             *user);
  /* Whether the file is some user's avatar. */
  gboolean          (*is_avatar)   (ConfabFileStore        *self,
                                    const char             *file_id);
  /* Whether any message or avatar refers to the file. */
  gboolean          (*in_use)      (ConfabFileStore        *self,
                                    const char             *file_id);
};

G_END_DECLS
