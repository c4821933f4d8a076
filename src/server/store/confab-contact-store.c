/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-contact-store"

#include "config.h"

#include "confab-contact-store.h"

G_DEFINE_INTERFACE (ConfabContactStore, confab_contact_store, CONFAB_TYPE_STORE)

static void
confab_contact_store_default_init (ConfabContactStoreInterface *iface)
{
}
