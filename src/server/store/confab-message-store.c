/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-message-store"

#include "config.h"

#include "confab-message-store.h"

G_DEFINE_INTERFACE (ConfabMessageStore, confab_message_store, CONFAB_TYPE_STORE)

static void
confab_message_store_default_init (ConfabMessageStoreInterface *iface)
{
}

void
confab_message_info_clear (ConfabMessageInfo *info)
{
  g_clear_pointer (&info->conv, g_free);
  g_clear_pointer (&info->sender, g_free);
  g_clear_pointer (&info->body, g_free);
  g_clear_pointer (&info->kind, g_free);
}
