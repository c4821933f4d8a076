/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "confab-store.h"

G_BEGIN_DECLS

/*
 * ConfabContactStore: the data of contacts and blocks. A contact relation is kept once for
 * each side (the owner's view of the other user: a request sent, a request received, or an
 * accepted contact with the owner's group for it). Data access only; the contacts module
 * holds the rules and calls these from a unit of work on the store thread.
 */

typedef enum
{
  CONFAB_CONTACT_NONE,
  CONFAB_CONTACT_PENDING_OUT,
  CONFAB_CONTACT_PENDING_IN,
  CONFAB_CONTACT_ACCEPTED,
} ConfabContactState;

#define CONFAB_TYPE_CONTACT_STORE (confab_contact_store_get_type ())
G_DECLARE_INTERFACE (ConfabContactStore, confab_contact_store, CONFAB, CONTACT_STORE, ConfabStore)

struct _ConfabContactStoreInterface
{
  GTypeInterface parent_iface;

  /* What @owner's side holds about @other. */
  ConfabContactState (*state)     (ConfabContactStore  *self,
                                   const char          *owner,
                                   const char          *other);
  /* Writes @owner's side (never NONE). Accepting keeps no message; a new state empties the
   * group. */
  void               (*set_state) (ConfabContactStore  *self,
                                   const char          *owner,
                                   const char          *other,
                                   ConfabContactState   state,
                                   const char          *message,
                                   gint64               ts);
  /* Drops @owner's side; FALSE if there was none. */
  gboolean           (*remove)    (ConfabContactStore  *self,
                                   const char          *owner,
                                   const char          *other);
  /* FALSE unless @other is an accepted contact of @owner whose group changed. */
  gboolean           (*set_group) (ConfabContactStore  *self,
                                   const char          *owner,
                                   const char          *other,
                                   const char          *group);
  /* @owner's side in @state, sorted by display name then username: for ACCEPTED
   * [{user: User, group, last_seen}] (last_seen: the stored one, 0 if never), for the pending
   * states [{user: User, message, ts}]. */
  JsonArray         *(*list)      (ConfabContactStore  *self,
                                   const char          *owner,
                                   ConfabContactState   state);

  gboolean           (*blocks)    (ConfabContactStore  *self,
                                   const char          *blocker,
                                   const char          *blocked);
  /* FALSE if that changed nothing. */
  gboolean           (*set_block) (ConfabContactStore  *self,
                                   const char          *blocker,
                                   const char          *blocked,
                                   gboolean             on,
                                   gint64               ts);
  /* The users @blocker blocks, sorted. */
  GStrv              (*blocked)   (ConfabContactStore  *self,
                                   const char          *blocker);
};

G_END_DECLS
