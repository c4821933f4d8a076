/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-audit-store"

#include "config.h"

#include "confab-audit-store.h"

G_DEFINE_INTERFACE (ConfabAuditStore, confab_audit_store, CONFAB_TYPE_STORE)

static void
confab_audit_store_default_init (ConfabAuditStoreInterface *iface)
{
}
