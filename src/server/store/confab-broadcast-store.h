/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "confab-store.h"

G_BEGIN_DECLS

/*
 * ConfabBroadcastStore: the data of announcements: who may make them, the announcements
 * themselves, and their audiences. Data access only; the broadcast module holds the rules and
 * calls these from a unit of work on the store thread.
 */

#define CONFAB_TYPE_BROADCAST_STORE (confab_broadcast_store_get_type ())
G_DECLARE_INTERFACE (ConfabBroadcastStore, confab_broadcast_store, CONFAB, BROADCAST_STORE,
                     ConfabStore)

struct _ConfabBroadcastStoreInterface
{
  GTypeInterface parent_iface;

  /* @username's role, and whether they hold @permission; FALSE if there is no such user. */
  gboolean (*user_rights)    (ConfabBroadcastStore  *self,
                              const char            *username,
                              const char            *permission,
                              char                 **role,
                              gboolean              *granted);
  /* Grants or withdraws @permission; FALSE if there is no such user. */
  gboolean (*set_permission) (ConfabBroadcastStore  *self,
                              const char            *username,
                              const char            *permission,
                              gboolean               on);
  /* Keeps an announcement; returns its id. */
  gint64   (*insert)         (ConfabBroadcastStore  *self,
                              const char            *sender,
                              const char            *body,
                              const char            *audience_json,
                              gint64                 ts);
  /* The accounts that are not disabled, sorted; with @department, only those whose
   * department is that value, compared word by word ignoring case and diacritics. */
  GStrv    (*accounts)       (ConfabBroadcastStore  *self,
                              const char            *department);
  /* Who reads @stream now (an open membership), sorted. */
  GStrv    (*stream_readers) (ConfabBroadcastStore  *self,
                              const char            *stream);
};

G_END_DECLS
