/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "confab-store.h"

G_BEGIN_DECLS

/*
 * ConfabDirectoryStore: the company directory, the accounts that are not disabled as everyone
 * may look them up. Data access only; the directory module checks the request and calls this
 * from a unit of work on the store thread.
 */

typedef struct
{
  const char *text;        /* NULL: no free text; otherwise each word starts a word of the
                            * username, display name, email, title or department */
  const char *department;  /* NULL or a whole value, compared word by word ignoring case */
  const char *title;
  const char *location;
  guint       limit;
  guint       offset;
} ConfabDirectoryQuery;

#define CONFAB_TYPE_DIRECTORY_STORE (confab_directory_store_get_type ())
G_DECLARE_INTERFACE (ConfabDirectoryStore, confab_directory_store, CONFAB, DIRECTORY_STORE,
                     ConfabStore)

struct _ConfabDirectoryStoreInterface
{
  GTypeInterface parent_iface;

  /* The page of @query ([User], sorted by display name then username) and, in @total, how
   * many users match in all. */
  JsonArray *(*search) (ConfabDirectoryStore        *self,
                        const ConfabDirectoryQuery  *query,
                        guint                       *total);
};

G_END_DECLS
