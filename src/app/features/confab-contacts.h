/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "confab-feature.h"
#include "confab-types.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_CONTACTS (confab_contacts_get_type ())
G_DECLARE_FINAL_TYPE (ConfabContacts, confab_contacts, CONFAB, CONTACTS, ConfabFeature)

/* The contact list with consent: the own contacts (each with the own group for them), the
 * requests received and sent, the blocked users. The server's `contacts` is the truth: it is
 * asked after each sync and again after every contact event or change, so a change made on
 * another device, or while away, shows once its event is replayed. Nothing of it is stored. */
ConfabContacts *confab_contacts_new              (ConfabSession  *session);
ConfabContacts *confab_contacts_from_session     (ConfabSession  *session);

/* GListModels of ConfabContact (the profiles feature's objects), sorted by display name. */
GListModel     *confab_contacts_get_contacts     (ConfabContacts *self);
GListModel     *confab_contacts_get_pending_in   (ConfabContacts *self);
GListModel     *confab_contacts_get_pending_out  (ConfabContacts *self);

/* The own group for the contact @username ("" for none, NULL if not a contact). */
const char     *confab_contacts_get_group        (ConfabContacts *self,
                                                  const char     *username);
/* The message of a request received from or sent to @username, or NULL. */
const char     *confab_contacts_get_request_message (ConfabContacts *self,
                                                     const char     *username);
gboolean        confab_contacts_is_contact       (ConfabContacts *self,
                                                  const char     *username);
gboolean        confab_contacts_is_pending_in    (ConfabContacts *self,
                                                  const char     *username);
gboolean        confab_contacts_is_pending_out   (ConfabContacts *self,
                                                  const char     *username);
gboolean        confab_contacts_is_blocked       (ConfabContacts *self,
                                                  const char     *username);
/* TRUE once the list was loaded on this connection. */
gboolean        confab_contacts_is_loaded        (ConfabContacts *self);

/* Signals: "changed" after each reload of the lists; "request-received" (from, message) for a
 * request received while connected. */

/* Every request below finishes with confab_feature_request_finish(), except contact_request
 * which may finish with confab_contacts_request_finish() to learn whether both became
 * contacts at once. The lists are reloaded after each. */
void            confab_contacts_request_async    (ConfabContacts      *self,
                                                  const char          *username,
                                                  const char          *message,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
/* TRUE on success; *@added is TRUE when the other side had asked already. */
gboolean        confab_contacts_request_finish   (ConfabContacts      *self,
                                                  GAsyncResult        *result,
                                                  gboolean            *added,
                                                  GError             **error);
void            confab_contacts_respond_async    (ConfabContacts      *self,
                                                  const char          *username,
                                                  gboolean             accept,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
void            confab_contacts_remove_async     (ConfabContacts      *self,
                                                  const char          *username,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
void            confab_contacts_set_group_async  (ConfabContacts      *self,
                                                  const char          *username,
                                                  const char          *group,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
void            confab_contacts_block_async      (ConfabContacts      *self,
                                                  const char          *username,
                                                  gboolean             block,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);

G_END_DECLS
