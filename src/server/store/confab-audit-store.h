/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "confab-store.h"

G_BEGIN_DECLS

/*
 * ConfabAuditStore: the audit log of administration (who did what to whom, when, from where)
 * and the account data only administrators see or change. Data access only; the admin module
 * holds the rules and calls these from a unit of work on the store thread.
 */

#define CONFAB_TYPE_AUDIT_STORE (confab_audit_store_get_type ())
G_DECLARE_INTERFACE (ConfabAuditStore, confab_audit_store, CONFAB, AUDIT_STORE, ConfabStore)

struct _ConfabAuditStoreInterface
{
  GTypeInterface parent_iface;

  /* Appends an entry; @target, @details_json (an object's JSON text) and @address may be
   * NULL. Returns its id. */
  gint64      (*record)       (ConfabAuditStore  *self,
                               gint64             ts,
                               const char        *actor,
                               const char        *action,
                               const char        *target,
                               const char        *details_json,
                               const char        *address);
  /* [{id, ts, actor, action, target, details, address}], newest first, of the entries that
   * match every filter given (NULL: any), and in @total how many match. */
  JsonArray  *(*entries)      (ConfabAuditStore  *self,
                               const char        *actor,
                               const char        *action,
                               const char        *target,
                               guint              limit,
                               guint              offset,
                               gint64            *total);

  /* An account as administrators see it: the protocol's User plus {disabled, permissions,
   * created_ts, last_seen_ts}; NULL if there is no such user. */
  JsonObject *(*account)      (ConfabAuditStore  *self,
                               const char        *username);
  /* Accounts whose username, display name or email contains @query (NULL: all), ignoring
   * case, sorted by username; @total counts them all. */
  JsonArray  *(*accounts)     (ConfabAuditStore  *self,
                               const char        *query,
                               guint              limit,
                               guint              offset,
                               gint64            *total);
  gboolean    (*set_disabled) (ConfabAuditStore  *self,
                               const char        *username,
                               gboolean           disabled);
  gboolean    (*set_role)     (ConfabAuditStore  *self,
                               const char        *username,
                               const char        *role);
  /* Accounts with role admin that are not disabled. */
  gint64      (*count_admins) (ConfabAuditStore  *self);
  /* Live devices, [{username, device_id, name, created_ts, last_seen_ts}], of @username
   * (NULL: everyone), by username then creation; @total counts them all. */
  JsonArray  *(*sessions)     (ConfabAuditStore  *self,
                               const char        *username,
                               guint              limit,
                               guint              offset,
                               gint64            *total);
  /* {users, messages, rooms, file_bytes}. */
  JsonObject *(*stats)        (ConfabAuditStore  *self);
};

G_END_DECLS
