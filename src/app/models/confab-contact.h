/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef enum
{
  CONFAB_PRESENCE_OFFLINE,
  CONFAB_PRESENCE_ONLINE,
  CONFAB_PRESENCE_AWAY,
  CONFAB_PRESENCE_BUSY,
  CONFAB_PRESENCE_INVISIBLE, /* only ever one's own status; others see offline */
} ConfabPresence;

#define CONFAB_TYPE_PRESENCE (confab_presence_get_type ())
GType           confab_presence_get_type          (void);
/* "online" → CONFAB_PRESENCE_ONLINE; unknown strings give OFFLINE. */
ConfabPresence  confab_presence_from_string       (const char *status);
const char     *confab_presence_to_string         (ConfabPresence presence);

#define CONFAB_TYPE_CONTACT (confab_contact_get_type ())
G_DECLARE_FINAL_TYPE (ConfabContact, confab_contact, CONFAB, CONTACT, GObject)

ConfabContact  *confab_contact_new                (const char    *username);

const char     *confab_contact_get_username       (ConfabContact *self);
/* Falls back to the username when the profile has no display name. */
const char     *confab_contact_get_display_name   (ConfabContact *self);
const char     *confab_contact_get_email          (ConfabContact *self);
const char     *confab_contact_get_phone          (ConfabContact *self);
const char     *confab_contact_get_department     (ConfabContact *self);
const char     *confab_contact_get_title          (ConfabContact *self);
const char     *confab_contact_get_location       (ConfabContact *self);
const char     *confab_contact_get_avatar_file_id (ConfabContact *self);
const char     *confab_contact_get_role           (ConfabContact *self);
/* The IANA time zone name of the profile, NULL while unknown. */
const char     *confab_contact_get_timezone       (ConfabContact *self);
gboolean        confab_contact_get_bot            (ConfabContact *self);
ConfabPresence  confab_contact_get_presence       (ConfabContact *self);
const char     *confab_contact_get_presence_text  (ConfabContact *self);
gint64          confab_contact_get_last_seen      (ConfabContact *self); /* ms, 0 unknown */

/* Engine use: update from a protocol User object / presence event; notify what changed. */
void            confab_contact_update_from_json   (ConfabContact *self,
                                                   JsonObject    *user);
void            confab_contact_set_presence       (ConfabContact *self,
                                                   ConfabPresence presence,
                                                   const char    *text,
                                                   gint64         last_seen);

/* Properties: username, display-name, email, phone, department, title, location,
 * avatar-file-id, role, timezone, bot, presence, presence-text, last-seen. */

G_END_DECLS
